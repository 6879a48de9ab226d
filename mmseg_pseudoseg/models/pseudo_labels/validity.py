"""Validity maps of the extra images: which pixels L_u and the SGC keys may use.

A pixel is valid inside the image and outside CutOut (docs/method.md §1). The
strong view carries its validity map as ``gt_sem_seg`` (0 valid, 255 padding or
CutOut; docs/batch_format.md); the labelled crops use their padding only.
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.utils import SampleList

VALID_DOWNSAMPLE = ('nearest', 'any')


def check_valid_downsample(mode: str, key: str = 'valid_downsample') -> None:
    """The one check of a validity-map downsampling mode (``key`` names it)."""
    if mode not in VALID_DOWNSAMPLE:
        raise ValueError(f'{key} must be one of {VALID_DOWNSAMPLE}, got {mode!r}')


def validity_of(samples: SampleList) -> Tensor:
    """``(Nu, H, W)`` bool, True where the strong validity map is 0."""
    return torch.stack([s.gt_sem_seg.data for s in samples])[:, 0] == 0


def downsample_valid(valid: Tensor, size: Sequence[int],
                     mode: str = 'nearest') -> Tensor:
    """Bring a full-resolution validity mask ``(N, H, W)`` bool to ``size``.

    ``'nearest'`` (default, released code: ``resize_nearest_neighbor``) keeps the
    value of the sampled pixel; ``'any'`` marks an output pixel invalid when any
    input pixel it covers is invalid (area pooling of the invalid map > 0).
    """
    size = tuple(int(s) for s in size)
    if tuple(valid.shape[-2:]) == size:
        return valid
    if mode == 'nearest':
        return F.interpolate(valid[:, None].float(), size=size,
                             mode='nearest')[:, 0] > 0.5
    invalid = F.interpolate((~valid)[:, None].float(), size=size, mode='area')
    return invalid[:, 0] <= 0


def padding_valid_mask(batch_img_metas: Sequence[dict], shape: Sequence[int],
                       device=None) -> Tensor:
    """``(N, H, W)`` bool: True inside the real image, False in the padding the
    data preprocessor added (metainfo ``padding_size=[left, right, top, bottom]``;
    without it, everything outside ``img_shape`` from the top-left corner)."""
    h, w = int(shape[0]), int(shape[1])
    bounds = []
    for meta in batch_img_metas:
        if meta.get('padding_size') is not None:
            left, right, top, bottom = (int(v) for v in meta['padding_size'])
        elif meta.get('img_shape') is not None:
            ih, iw = meta['img_shape'][:2]
            left, top, right, bottom = 0, 0, max(w - int(iw), 0), max(h - int(ih), 0)
        else:
            left = right = top = bottom = 0
        bounds.append((top, h - bottom, left, w - right))
    b = torch.tensor(bounds, device=device).view(-1, 4, 1, 1)
    rows = torch.arange(h, device=device).view(1, h, 1)
    cols = torch.arange(w, device=device).view(1, 1, w)
    return ((rows >= b[:, 0]) & (rows < b[:, 1]) &
            (cols >= b[:, 2]) & (cols < b[:, 3]))
