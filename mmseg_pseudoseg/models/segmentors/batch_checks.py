"""Checks of a multi-branch training batch and of the values of one step.

Structure (branches, sample counts, shapes, missing maps) is checked on the host
when ``PseudoSeg.loss`` starts. Values on the device (finite losses and weak
logits, validity-map values) are gathered into one flag tensor and read with a
single host sync at the end of the step (:func:`raise_on_bad_values`), before
any gradient is computed; the details of a failure are only computed then.
Label values are read only when a loss fails on them (:func:`check_label_values`).
"""
from typing import Dict, Optional, Sequence

import torch
from torch import Tensor

from mmseg.utils import SampleList
from .semi_train_settings import BRANCHES


def sample_name(sample, index: int) -> str:
    """A human-readable id of a data sample for error messages (its file)."""
    meta = sample.metainfo
    for key in ('img_path', 'img_id', 'seg_map_path'):
        if meta.get(key) is not None:
            return str(meta[key])
    return f'sample #{index} (no img_path in metainfo)'


def names_of(samples: SampleList, rows: Optional[Sequence[int]] = None) -> str:
    rows = range(len(samples)) if rows is None else rows
    return ', '.join(sample_name(samples[i], i) for i in rows)


def check_branches(inputs: dict, data_samples) -> None:
    """Raise if the batch is not a consistent dict of branches."""
    if not isinstance(data_samples, dict):
        raise TypeError('PseudoSeg.loss got dict inputs but data_samples of type '
                        f'{type(data_samples).__name__}; both must be dicts '
                        'keyed by branch (docs/batch_format.md)')
    unknown = (set(inputs) | set(data_samples)) - set(BRANCHES)
    if unknown:
        raise KeyError(f'Unknown branches {sorted(unknown)}; expected a subset '
                       f'of {BRANCHES}')
    if not inputs:
        raise ValueError('PseudoSeg.loss got an empty batch (no branch)')
    if ('weak' in inputs) != ('strong' in inputs):
        raise KeyError(f'Branches "weak" and "strong" come together; got '
                       f'{sorted(inputs)}')
    for name, tensor in inputs.items():
        samples = data_samples.get(name)
        if samples is None or len(samples) != tensor.shape[0]:
            raise ValueError(
                f'Branch {name!r}: {int(tensor.shape[0])} images but '
                f'{None if samples is None else len(samples)} data samples')
    if 'weak' in inputs and inputs['weak'].shape != inputs['strong'].shape:
        raise ValueError(f"weak {tuple(inputs['weak'].shape)} and strong "
                         f"{tuple(inputs['strong'].shape)} views must be "
                         'pixel-aligned (same shape)')


def _stack_seg(samples: SampleList, branch: str) -> Tensor:
    missing = [sample_name(s, i) for i, s in enumerate(samples)
               if s.get('gt_sem_seg') is None]
    if missing:
        what = ('label map' if branch == 'sup' else
                'validity map (0 = valid, 255 = padding/CutOut)')
        raise ValueError(f'Branch {branch!r}: no gt_sem_seg {what} for '
                         f'{", ".join(missing)}')
    return torch.stack([s.gt_sem_seg.data for s in samples])


def label_maps(samples: SampleList) -> Tensor:
    """``(Ns, 1, H, W)`` label maps of the labelled samples."""
    return _stack_seg(samples, 'sup')


def validity_of(samples: SampleList, shape, invalid_value: int):
    """``(valid (Nu, H, W) bool, bad (Nu,) bool)`` from the strong validity maps
    (0 valid, ``invalid_value`` padding/CutOut); ``bad`` flags maps with other
    values, read later by :func:`raise_on_bad_values` (no sync here)."""
    vmap = _stack_seg(samples, 'strong')[:, 0]
    if tuple(vmap.shape[-2:]) != tuple(shape[-2:]):
        raise ValueError(f'strong validity maps {tuple(vmap.shape[-2:])} do not '
                         f'match the strong images {tuple(shape[-2:])}')
    bad = ((vmap != 0) & (vmap != invalid_value)).flatten(1).any(dim=1)
    return vmap == 0, bad


def image_labels_of(samples: SampleList, num_classes: int, device) -> Tensor:
    """``(Nu, C-1)`` float from ``gt_image_labels`` of the strong samples."""
    labels = []
    for i, s in enumerate(samples):
        value = s.get('gt_image_labels')
        if value is None:
            raise ValueError('semi_train_cfg.use_image_labels=True but strong sample '
                             f'{sample_name(s, i)} has no gt_image_labels')
        value = torch.as_tensor(value, dtype=torch.float32, device=device)
        if value.shape != (num_classes - 1, ):
            raise ValueError(
                f'gt_image_labels of {sample_name(s, i)} has shape '
                f'{tuple(value.shape)}; expected ({num_classes - 1},) = num_classes '
                f'{num_classes} minus background')
        labels.append(value)
    return torch.stack(labels)


def check_label_values(gt: Tensor, samples: SampleList, num_classes: int,
                       ignore_index: int, cause: Optional[BaseException] = None):
    """Raise if labels leave ``[0, num_classes)`` other than ``ignore_index``,
    naming the images. Called when a loss fails (on CUDA an out-of-range target
    is a device-side assert instead); the datasets check their masks on loading."""
    bad = ((gt < 0) | (gt >= num_classes)) & (gt != ignore_index)
    if bool(bad.any()):
        rows = bad.flatten(1).any(dim=1).nonzero()[:, 0].tolist()
        values = sorted(int(v) for v in gt[bad].unique().tolist())
        raise ValueError(
            f'Label values {values} outside [0, {num_classes}) (decode_head.'
            f'num_classes={num_classes}, ignore {ignore_index}) in '
            f'{names_of(samples, rows)}.\nDoes the dataset have more classes than '
            'the model? Set num_classes of the heads to the dataset\'s classes.') \
            from cause


def current_iteration() -> str:
    """The iteration as the training log counts it (1-based), for messages."""
    from mmengine.logging import MessageHub
    it = MessageHub.get_current_instance().get_info('iter')
    return 'outside a training loop' if it is None else f'iteration {int(it) + 1}'


def _non_finite(tensors: Dict[str, Tensor]) -> str:
    parts = []
    for name, t in tensors.items():
        nan, inf = int(torch.isnan(t).sum()), int(torch.isinf(t).sum())
        if nan or inf:
            parts.append(f'{name} ({nan} NaN and {inf} inf of {t.numel()} values)')
    return '; '.join(parts)


def raise_on_bad_values(losses: Dict[str, Tensor], pseudo: Optional[dict],
                        samples: dict, classifier_views: Sequence[str]) -> None:
    """One host sync for the step's value checks; raise the first failure.

    Checked, in this order: finite losses of the labelled branch (``sup.*``,
    ``sgc.*``), strong validity-map values, finite logits reaching the fusion,
    finite ``unsup.loss_u`` and ``cls.loss_cls``. Errors name the iteration as
    the log counts it and the images concerned.
    """
    groups = dict(labelled={k: v for k, v in losses.items()
                            if k.startswith(('sup.', 'sgc.')) and 'loss' in k},
                  extra={k: v for k, v in losses.items() if k == 'unsup.loss_u'},
                  classifier={k: v for k, v in losses.items() if k == 'cls.loss_cls'})
    flags = {name: ~torch.stack([torch.isfinite(v).all() for v in g.values()]).all()
             for name, g in groups.items() if g}
    if pseudo is not None:
        flags['validity'] = pseudo['bad_validity'].any()
        logits = [t for t in (pseudo['decoder_logits'], pseudo['sgc_logits'])
                  if t is not None]
        flags['weak'] = ~torch.stack([torch.isfinite(t).all() for t in logits]).all()
    if not flags:
        return
    flags = torch.stack(list(flags.values())), list(flags)
    if not bool(flags[0].any()):  # the one host sync of a good step
        return
    failed = dict(zip(flags[1], flags[0].tolist()))
    if failed.get('labelled'):
        raise FloatingPointError(
            f'Non-finite loss on the labelled images at {current_iteration()}: '
            f'{_non_finite(groups["labelled"])}; labelled images of the batch: '
            f'{names_of(samples["sup"])}.\nCheck these images for NaN/Inf pixels; '
            'if they are fine, the weights are diverging: lower the learning rate.')
    if failed.get('validity'):
        rows = pseudo['bad_validity'].nonzero()[:, 0].tolist()
        raise ValueError(
            'strong gt_sem_seg must be a validity map with values 0 (valid) and 255 '
            f'(padding/CutOut); other values in {names_of(samples["strong"], rows)}.'
            '\nPack the strong view with seg_key=\'gt_valid_map\' (GenerateValidity'
            'Map before the geometric transforms).')
    if failed.get('weak'):
        tensors = {'decoder logits': pseudo['decoder_logits'],
                   'SGC logits': pseudo['sgc_logits']}
        raise RuntimeError(
            f'Non-finite logits reached the pseudo-label fusion at '
            f"{current_iteration()}, branch 'weak': "
            f'{_non_finite({k: v for k, v in tensors.items() if v is not None})}; '
            f'images: {names_of(samples["weak"])}.\nThe weights are probably '
            'diverging: lower the learning rate, check the data normalisation.')
    for name, branches in (('extra', ('strong', )), ('classifier', classifier_views)):
        if failed.get(name):
            images = ', '.join(names_of(samples[b]) for b in branches if b in samples)
            raise FloatingPointError(
                f'Non-finite loss at {current_iteration()}: '
                f'{_non_finite(groups[name])}; images: {images}.\nCheck these '
                'images for NaN/Inf pixels; if they are fine, lower the learning rate.')
