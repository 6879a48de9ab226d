"""``EMATeacherHook``: moves the EMA teacher of ``PseudoSeg(teacher='ema')``.

The teacher weights are state of the run, like the optimizer's: they are moved by
this hook after each iteration (not by ``loss``), saved in the checkpoint with the
model (``ema_teacher.*``) and restored by ``--resume``. Before the first
iteration of a new run the teacher is a copy of the student (as MMDetection's
``MeanTeacherHook``); a resumed run keeps the teacher of its checkpoint.

Config::

    model = dict(semi_train_cfg=dict(teacher='ema'))
    custom_hooks = [..., dict(type='EMATeacherHook', momentum=0.999)]
"""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmseg.registry import HOOKS
from ...utils.arg_checks import check_int


def unwrap(runner):
    """The model inside a DDP wrapper, if any."""
    model = runner.model
    return model.module if is_model_wrapper(model) else model


@HOOKS.register_module()
class EMATeacherHook(Hook):
    """``teacher ← m·teacher + (1−m)·student`` after every ``interval`` iterations.

    Args:
        momentum (float): ``m`` in [0, 1): the teacher's share (0.999: a memory of
            about 1,000 iterations; 0 = the teacher is the current student).
        interval (int): update every ``interval`` iterations. Defaults to 1.
    """
    priority = 'ABOVE_NORMAL'  # after the optimizer step, before checkpointing

    def __init__(self, momentum: float = 0.999, interval: int = 1) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f'EMATeacherHook: momentum must be in [0, 1), got '
                             f'{momentum}')
        self.momentum = float(momentum)
        self.interval = check_int('EMATeacherHook', 'interval', interval, 1)

    def before_train(self, runner) -> None:
        model = unwrap(runner)
        teacher = getattr(model, 'ema_teacher', None)
        if teacher is None:
            raise TypeError(
                f'EMATeacherHook needs a model with an EMA teacher; '
                f'{type(model).__name__} has none.\nSet model.semi_train_cfg.'
                "teacher='ema' or remove the hook.")
        if runner.iter == 0:  # a new run; a resumed one keeps its teacher
            teacher.update(model, 0.0)
        teacher.ready = True

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval):
            model = unwrap(runner)
            model.ema_teacher.update(model, self.momentum)
