"""Optional EMA teacher for the weak pass (SPEC §1: "an EMA teacher is an option").

The teacher is deliberately *not* a registered submodule: a PseudoSeg checkpoint
minus ``sgc_head.*`` must stay a stock EncoderDecoder checkpoint, so the teacher is
not saved. It is (re)initialised as a copy of the student on the first step, after
``load_state_dict``/resume, and whenever the student moves to another device.
"""
import copy
from typing import Dict, Optional

import torch
import torch.nn as nn


class EMATeacher:
    """``teacher ← m·teacher + (1−m)·student`` over parameters; buffers (BN
    statistics) are copied from the student.

    Args:
        momentum (float): ``m`` in [0, 1]; 0 = the current student, 1 = frozen.
    """

    def __init__(self, momentum: float = 0.999):
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f'semi_train_cfg.ema_momentum must be in [0, 1], got '
                             f'{momentum}')
        self.momentum = float(momentum)
        self.modules: Optional[nn.ModuleDict] = None

    def reset(self) -> None:
        """Forget the average; the next :meth:`update` copies the student."""
        self.modules = None

    def _matches(self, student: nn.ModuleDict) -> bool:
        if self.modules is None or set(self.modules) != set(student):
            return False
        ours = [(n, p.shape, p.device) for n, p in self.modules.named_parameters()]
        theirs = [(n, p.shape, p.device) for n, p in student.named_parameters()]
        return ours == theirs

    @torch.no_grad()
    def update(self, student: Dict[str, nn.Module]) -> nn.ModuleDict:
        """Average the student into the teacher and return the teacher modules
        (same keys as ``student``, same training flags)."""
        student = nn.ModuleDict({k: v for k, v in student.items() if v is not None})
        if not self._matches(student):
            self.modules = copy.deepcopy(student).requires_grad_(False)
        else:
            for t, s in zip(self.modules.parameters(), student.parameters()):
                t.lerp_(s.detach(), 1.0 - self.momentum)
            for t, s in zip(self.modules.buffers(), student.buffers()):
                t.copy_(s)
        for key, module in student.items():
            self.modules[key].train(module.training)
        return self.modules
