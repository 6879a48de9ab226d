"""``EMATeacherHook``: moves the EMA teacher of a ``SemiBaseSegmentor`` with
``semi_train_cfg.teacher='ema'`` (PseudoSeg's option; Mean Teacher, CutMix-Seg).

The teacher weights are state of the run, like the optimizer's: they are moved by
this hook after each iteration (not by ``loss``), saved in the checkpoint with the
model (``ema_teacher.*``) and restored by ``--resume``. Before the first
iteration of a new run the teacher is a copy of the student; a resumed run keeps
the teacher of its checkpoint. ``momentum`` has the meaning of MMDetection's
``MeanTeacherHook``: the student's share of each update.

Several processes (DDP): the student's parameters are identical on every rank after
each optimizer step, its BatchNorm running statistics are not: each rank updates
them from its own batch, and DDP (``broadcast_buffers=True``) copies rank 0's over
the others only at the start of the next forward. The teacher, which copies the
student's buffers, would then hold rank-local statistics between steps (and after
the last one). So before each update the hook broadcasts the student's buffers
from rank 0, which is what DDP's next forward would do anyway (with its default
``broadcast_buffers=True``, the project's setting): rank 0's run is unchanged, and
every rank holds the same student and teacher after every update (docs/training.md,
"Several processes").

Config::

    model = dict(semi_train_cfg=dict(teacher='ema'))
    custom_hooks = [..., dict(type='EMATeacherHook', momentum=0.001)]
"""
import torch
from mmengine.dist import broadcast, is_distributed
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

from mmseg.registry import HOOKS
from ...utils.arg_checks import check_int


@HOOKS.register_module()
class EMATeacherHook(Hook):
    """``teacher ← (1−m)·teacher + m·student`` after every ``interval`` iterations.

    Args:
        momentum (float): ``m``, the student's share, in (0, 0.5] (0.001: a
            memory of about 1,000 iterations), or 1 (the teacher is the current
            student). A value in (0.5, 1) is refused: it reads as the teacher's
            share (``1 − m``), which is what ``momentum`` meant in configs
            written for the opposite convention.
        interval (int): update every ``interval`` iterations. Defaults to 1.
    """
    priority = 'ABOVE_NORMAL'  # after the optimizer step, before checkpointing

    def __init__(self, momentum: float = 0.001, interval: int = 1) -> None:
        if 0.5 < momentum < 1.0:
            raise ValueError(
                f"EMATeacherHook: momentum={momentum} is the student's share of each "
                'update (teacher ← (1−m)·teacher + m·student, as MMDetection\'s '
                'MeanTeacherHook), not the teacher\'s.\nFor a teacher that keeps '
                f'{momentum} of itself per update set momentum={1.0 - momentum:.6g}.')
        if not (0.0 < momentum <= 0.5 or momentum == 1.0):
            raise ValueError('EMATeacherHook: momentum must be in (0, 0.5] or 1, '
                             f'got {momentum}')
        self.momentum = float(momentum)
        self.interval = check_int('EMATeacherHook', 'interval', interval, 1)

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if getattr(model, 'ema_teacher', None) is None:
            raise TypeError(
                f'EMATeacherHook needs a model with an EMA teacher; '
                f'{type(model).__name__} has none.\nSet model.semi_train_cfg.'
                "teacher='ema' or remove the hook.")
        model.init_teacher(copy_student=runner.iter == 0)  # resumed: keep it

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval):
            model = runner.model.module if is_model_wrapper(runner.model) \
                else runner.model
            if is_distributed():
                broadcast_student_buffers(model)
            model.update_teacher(self.momentum)


@torch.no_grad()
def broadcast_student_buffers(model, src: int = 0) -> None:
    """Copy rank ``src``'s buffers of ``model`` (all but ``ema_teacher.*``: BN
    running statistics and counters) to every rank, one broadcast per dtype, as
    DDP's ``broadcast_buffers`` does at the start of a forward."""
    by_dtype = {}
    for name, buf in model.named_buffers():
        if not name.startswith('ema_teacher.'):
            by_dtype.setdefault(buf.dtype, []).append(buf)
    for bufs in by_dtype.values():
        flat = _flatten_dense_tensors(bufs)
        broadcast(flat, src)
        for buf, synced in zip(bufs, _unflatten_dense_tensors(flat, bufs)):
            buf.copy_(synced)
