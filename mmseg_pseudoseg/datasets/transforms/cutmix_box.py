"""``RandomCutMixBox``: the CutMix box of a strong view, drawn per sample.

The box is drawn on the padded crop (``crop_size``, the data preprocessor's
``size``), as both codes draw it after padding, and stored as
``results['cutmix_box'] = [y0, x0, y1, x1]`` (rows ``y0:y1``, columns ``x0:x1``;
``[0, 0, 0, 0]`` = no box). Pack it with the strong view
(``PackSemiSegInputs(meta_keys=(..., 'cutmix_box'))``); the segmentor mixes the
batch with it (``mmseg_pseudoseg.models.utils.cutmix``).

Styles (all draws from numpy's global generator, which mmengine seeds per worker):

* ``'unimatch'`` (UniMatch ``dataset/transform.py``, ``obtain_cutmix_box``): with
  probability ``prob`` (0.5) a box of area ``U(0.02, 0.4)·H·W`` and aspect ratio
  ``r ~ U(0.3, 1/0.3)``: width ``int(sqrt(area / r))``, height
  ``int(sqrt(area · r))``, top-left corner uniform over the canvas, redrawn
  (ratio and corner) until the box fits.
* ``'cutmix_seg'`` (CutMix-Seg ``mask_gen.py``, ``BoxMaskGenerator`` with the
  VOC settings ``prop_range=0.5``, one box, random aspect ratio, area-based,
  within bounds): always a box of area share ``a ~ U(prop_range)``; height share
  ``exp(u · log a)``, ``u ~ U(0, 1)``, width share ``a /`` that; sizes rounded;
  corner ``round((canvas − size) · U(0, 1))``.
"""
from typing import Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

__all__ = ['RandomCutMixBox', 'unimatch_box', 'cutmix_seg_box']

STYLES = ('unimatch', 'cutmix_seg')


def unimatch_box(height: int, width: int, area_range=(0.02, 0.4),
                 ratio_range=(0.3, 1 / 0.3)) -> Tuple[int, int, int, int]:
    """UniMatch's box (given that one is drawn) on an ``height × width`` canvas."""
    area = np.random.uniform(*area_range) * height * width
    while True:
        ratio = np.random.uniform(*ratio_range)
        box_w, box_h = int(np.sqrt(area / ratio)), int(np.sqrt(area * ratio))
        x0, y0 = np.random.randint(0, width), np.random.randint(0, height)
        if x0 + box_w <= width and y0 + box_h <= height:
            return y0, x0, y0 + box_h, x0 + box_w


def cutmix_seg_box(height: int, width: int,
                   prop_range=(0.5, 0.5)) -> Tuple[int, int, int, int]:
    """CutMix-Seg's box on an ``height × width`` canvas."""
    prop = np.random.uniform(*prop_range)
    y_prop = np.exp(np.random.uniform(0.0, 1.0) * np.log(prop)) if prop > 0 else 0.0
    x_prop = prop / y_prop if prop > 0 else 0.0
    size = np.round(np.array([y_prop, x_prop]) * np.array([height, width]))
    corner = np.round((np.array([height, width]) - size) *
                      np.random.uniform(0.0, 1.0, size=2))
    y0, x0 = int(corner[0]), int(corner[1])
    return y0, x0, y0 + int(size[0]), x0 + int(size[1])


@TRANSFORMS.register_module()
class RandomCutMixBox(BaseTransform):
    """Draw the CutMix box of this view (see the module docstring).

    Args:
        crop_size (int | tuple[int, int]): ``(height, width)`` of the padded crop.
        style (str): ``'unimatch'`` | ``'cutmix_seg'``.
        prob (float): chance of a box (``'unimatch'``: 0.5 in the code).
        prop_range (tuple[float, float]): ``'cutmix_seg'`` area share range.

    Added key: ``cutmix_box``.
    """

    def __init__(self, crop_size, style: str = 'unimatch', prob: float = 0.5,
                 prop_range: Sequence[float] = (0.5, 0.5)) -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        if len(tuple(crop_size)) != 2 or min(crop_size) <= 0:
            raise ValueError(f'RandomCutMixBox: crop_size must be a positive int or '
                             f'(height, width), got {crop_size}')
        if style not in STYLES:
            raise ValueError(f'RandomCutMixBox: style must be one of {STYLES}, got '
                             f'{style!r}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'RandomCutMixBox: prob must be in [0, 1], got {prob}')
        self.crop_size = tuple(int(v) for v in crop_size)
        self.style = style
        self.prob = float(prob)
        self.prop_range = tuple(float(v) for v in prop_range)

    @cache_randomness
    def _box(self) -> Tuple[int, int, int, int]:
        height, width = self.crop_size
        if self.style == 'cutmix_seg':
            return cutmix_seg_box(height, width, self.prop_range)
        if np.random.rand() > self.prob:  # UniMatch: `if random.random() > p`
            return 0, 0, 0, 0
        return unimatch_box(height, width)

    def transform(self, results: dict) -> dict:
        results['cutmix_box'] = [int(v) for v in self._box()]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'style={self.style!r}, prob={self.prob}, '
                f'prop_range={self.prop_range})')
