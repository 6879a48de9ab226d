"""Statistics of one step's pseudo labels (used by ``PseudoLabelHook``).

Input is the diagnostics stash of ``PseudoSeg.recorded_pseudo_labels`` (raw tensors,
docs/batch_format.md): ``decoder_logits``, ``sgc_logits`` (None without SGC),
``pseudo_label`` ``(Nu, C, h, w)`` at decoder-logit resolution, ``valid_mask``
``(Nu, h, w)`` bool, ``strong_logits`` ``(Nu, C, h, w)`` and ``weak_samples`` (their ``gt_sem_seg``, when present, is the real mask, padded with
255, at input resolution).
"""
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

from mmseg_pseudoseg.evaluation.calibration import ece_from_bins, calibration_bins

# name in the stash -> short name in the logs; logits become probabilities here
SOURCES = (('pseudo_label', 'fused'), ('decoder_logits', 'decoder'),
           ('sgc_logits', 'sgc'))


def probabilities(stash: dict, key: str) -> Optional[torch.Tensor]:
    """``(Nu, C, h, w)`` float probabilities of a stash entry (softmax of the
    raw logits; the pseudo label already is one), None when absent."""
    value = stash.get(key)
    if value is None or key == 'pseudo_label':
        return value if value is None else value.float()
    return value.float().softmax(dim=1)


def ground_truth_at(weak_samples: list, size, ignore_index: int = 255,
                    device=None) -> Optional[torch.Tensor]:
    """``(Nu, h, w)`` long ground truth resized (nearest) to the logit grid.

    Samples without ``gt_sem_seg`` are all ``ignore_index``; None when no sample
    has ground truth.
    """
    maps: List[torch.Tensor] = []
    found = False
    for sample in weak_samples:
        if 'gt_sem_seg' in sample:
            gt = sample.gt_sem_seg.data.reshape(1, 1, *sample.gt_sem_seg.shape[-2:])
            gt = F.interpolate(gt.float(), size=tuple(size), mode='nearest')[0, 0]
            maps.append(gt.long().to(device))
            found = True
        else:
            maps.append(torch.full(tuple(size), ignore_index, dtype=torch.long,
                                   device=device))
    return torch.stack(maps) if found else None


@torch.no_grad()
def pseudo_label_stats(stash: dict, num_classes: Optional[int] = None,
                       n_bins: int = 15, ignore_index: int = 255) -> Dict:
    """Accuracy, ECE and confidence of each source, and the class histogram.

    Returns a dict with
      - ``scalars``: ``conf_<src>`` (mean max-probability over valid pixels) for
        ``src`` in fused/decoder/sgc, and, when ground truth is present,
        ``acc_<src>``, ``ece_<src>`` (``n_bins`` bins) and ``acc_strong`` over
        valid, non-ignored pixels; all in percent.
      - ``histogram``: ``(C,)`` percent of valid pixels per class of the fused
        label's argmax; ``valid_pixels``, ``gt_pixels``: pixel counts.
    """
    fused = stash['pseudo_label']
    n, c, h, w = fused.shape
    valid = stash['valid_mask'].bool()
    gt = ground_truth_at(stash['weak_samples'], (h, w), ignore_index, fused.device)
    scored = valid & (gt != ignore_index) if gt is not None else None
    scalars = {}
    for key, short in SOURCES:
        probs = probabilities(stash, key)
        if probs is None:
            continue
        conf, pred = probs.max(dim=1)
        if valid.any():
            scalars[f'conf_{short}'] = conf[valid].double().mean().item() * 100
        if scored is not None and scored.any():
            scalars[f'acc_{short}'] = \
                (pred[scored] == gt[scored]).double().mean().item() * 100
            bins = calibration_bins(probs, gt, n_bins, ignore_index, valid=valid)
            scalars[f'ece_{short}'] = ece_from_bins(bins) * 100
    if scored is not None and scored.any():
        strong_pred = stash['strong_logits'].argmax(dim=1)
        scalars['acc_strong'] = \
            (strong_pred[scored] == gt[scored]).double().mean().item() * 100
    num_classes = max(c, num_classes or 0)
    counts = torch.bincount(fused.argmax(dim=1)[valid], minlength=num_classes)
    total = int(counts.sum())
    histogram = (counts.double() / max(total, 1) * 100).cpu().numpy()
    return dict(scalars=scalars, histogram=histogram, valid_pixels=total,
                gt_pixels=int(scored.sum()) if scored is not None else 0)


def format_histogram(histogram: np.ndarray, classes: Optional[list] = None,
                     top: int = 8) -> str:
    """Compact text: the ``top`` most frequent classes, ``name pct%``."""
    order = [int(i) for i in np.argsort(-histogram, kind='stable') if histogram[i] > 0]
    names = [classes[i] if classes and i < len(classes) else str(i) for i in order]
    parts = [f'{name} {histogram[i]:.1f}%' for name, i in zip(names, order)][:top]
    rest = len(order) - len(parts)
    if rest > 0:
        parts.append(f'+{rest} more ({histogram[order[top:]].sum():.1f}%)')
    return ', '.join(parts) if parts else '(no valid pixel)'
