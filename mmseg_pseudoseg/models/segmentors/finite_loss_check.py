"""The check before the optimizer step: every loss of the step is finite.

Input is checked where it enters (config, dataset build, sample load); this is
the one check inside a training step, because a NaN that reaches the optimizer
spoils the weights for good. It costs one host sync per step.
"""
from typing import Dict

import torch
from torch import Tensor


def sample_name(sample, index: int) -> str:
    """A human-readable id of a data sample for error messages (its file)."""
    meta = sample.metainfo
    for key in ('img_path', 'img_id', 'seg_map_path'):
        if meta.get(key) is not None:
            return str(meta[key])
    return f'sample #{index} (no img_path in metainfo)'


def current_iteration() -> str:
    """The iteration as the training log counts it (1-based), for messages."""
    from mmengine.logging import MessageHub
    it = MessageHub.get_current_instance().get_info('iter')
    return 'outside a training loop' if it is None else f'iteration {int(it) + 1}'


def check_finite_losses(losses: Dict[str, Tensor], data_samples: dict) -> None:
    """Raise ``FloatingPointError`` when a ``*loss*`` entry is NaN or Inf, naming
    the iteration, the losses and the images of every branch of the batch."""
    values = {k: v for k, v in losses.items() if 'loss' in k}
    if not values or bool(torch.stack([torch.isfinite(v).all()
                                       for v in values.values()]).all()):
        return
    bad = ', '.join(f'{k} = {v.detach().float().sum().item()}'
                    for k, v in values.items() if not bool(torch.isfinite(v).all()))
    images = '; '.join(f'{branch}: ' + ', '.join(sample_name(s, i)
                                                  for i, s in enumerate(samples))
                       for branch, samples in data_samples.items())
    raise FloatingPointError(
        f'Non-finite loss at {current_iteration()}: {bad}; images of the batch: '
        f'{images}.\nCheck these images for NaN/Inf pixels; if they are fine, the '
        'weights are diverging: lower the learning rate.')
