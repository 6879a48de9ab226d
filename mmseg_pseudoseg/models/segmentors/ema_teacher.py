"""The EMA teacher of the weak pass (an option, docs/method.md §9).

``PseudoSeg(semi_train_cfg=dict(teacher='ema'))`` holds an :class:`EMATeacher`
submodule named ``ema_teacher``: copies of the student's backbone, neck, decode
head and SGC head. It is saved in checkpoints (prefix ``ema_teacher.``), so a
resumed run continues with the same teacher, and it is not part of the test-time
model (``predict`` never reads it; an exported checkpoint drops the prefix).
``EMATeacherHook`` copies the student into it before the first iteration and
averages the student into it after every iteration, as MMDetection's
``MeanTeacherHook`` does.
"""
import copy

import torch
import torch.nn as nn
from mmengine.model import BaseModule

TEACHER_MODULES = ('backbone', 'neck', 'decode_head', 'sgc_head')


class EMATeacher(BaseModule):
    """Frozen copies of the student's modules, moved by :meth:`momentum_update`.

    Attributes ``backbone``, ``neck``, ``decode_head``, ``sgc_head`` mirror the
    student's (None where the student has none).
    """

    def __init__(self, student: nn.Module):
        super().__init__()
        for name in TEACHER_MODULES:
            module = getattr(student, name, None)
            setattr(self, name, None if module is None else copy.deepcopy(module))
        self.requires_grad_(False)

    def init_weights(self) -> None:
        """Nothing to initialise: ``EMATeacherHook`` copies the student first."""

    @torch.no_grad()
    def momentum_update(self, student: nn.Module, momentum: float) -> None:
        """``teacher ← (1−m)·teacher + m·student`` over parameters (``m`` the
        student's share, as MMDetection's ``MeanTeacherHook``); buffers (BN
        statistics) are copied. ``momentum=1`` copies the student."""
        for name in TEACHER_MODULES:
            mine, theirs = getattr(self, name), getattr(student, name, None)
            if mine is None:
                continue
            for t, s in zip(mine.parameters(), theirs.parameters()):
                t.lerp_(s.detach(), momentum)
            for t, s in zip(mine.buffers(), theirs.buffers()):
                t.copy_(s)
