"""``UnsupWeightRampUpHook``: the λ_u ramp-up option (docs/method.md §9) of any
``SemiBaseSegmentor``.

Before each iteration it calls ``model.set_unsup_weight(base · rampup_factor(iter))``
with ``base = model.semi_train_cfg.unsup_weight`` and logs the weight as
``train/unsup_weight``. Without this hook λ_u is ``base`` from the first step
(the paper's setting).

Config::

    custom_hooks = [..., dict(type='UnsupWeightRampUpHook', rampup_iters=1000)]
"""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmseg.registry import HOOKS
from ...utils.arg_checks import check_int
from .rampup import RAMPUP_MODES, rampup_factor


@HOOKS.register_module()
class UnsupWeightRampUpHook(Hook):
    """Args:
        rampup_iters (int): length of the ramp in iterations (> 0).
        mode (str): ``'sigmoid'`` (``exp(-5 (1 - t)^2)``) or ``'linear'`` (``t``).
    """
    priority = 'NORMAL'

    def __init__(self, rampup_iters: int, mode: str = 'sigmoid') -> None:
        if mode not in RAMPUP_MODES:
            raise ValueError(f'UnsupWeightRampUpHook: mode must be one of '
                             f'{RAMPUP_MODES}, got {mode!r}')
        self.rampup_iters = check_int('UnsupWeightRampUpHook', 'rampup_iters',
                                      rampup_iters, 1)
        self.mode = mode

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'set_unsup_weight'):
            raise TypeError(f'UnsupWeightRampUpHook needs a semi-supervised '
                            f'segmentor (SemiBaseSegmentor); '
                            f'{type(model).__name__} has no `set_unsup_weight`.\n'
                            'Remove the hook from custom_hooks.')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        weight = model.semi_train_cfg.unsup_weight * rampup_factor(
            runner.iter, self.rampup_iters, self.mode)
        model.set_unsup_weight(weight)
        runner.message_hub.update_scalar('train/unsup_weight', weight)
