"""``PaddedCutOut``: the released code's CutOut placement (docs/method.md §5).

The released code cuts the box out of the strong view *after* padding and cropping,
i.e. on the full ``crop_size`` canvas (core/input_preprocess.py:130-177 pads to the
crop, crops, then calls ``cutout_with_mask``). ``cutout_with_mask``
(core/preprocess_utils.py:728-795) draws the box centre uniformly over that canvas,
``cy ~ U{0, ..., H-1}`` then ``cx ~ U{0, ..., W-1}`` (lines 759-765), and keeps the
rows ``[max(0, cy - p), min(H, cy + p))`` and columns likewise, ``p = pad_size = 50``
(lines 767-777): a 100×100 box clipped on all four sides, applied to every strong
view. On a down-scaled image the canvas is mostly padding, so the box often falls
partly or wholly outside the image.

In this project the padding to the crop happens later, in the data preprocessor,
with the image at the top-left of the canvas (mmseg's ``RandomCrop`` keeps a smaller
image whole). This transform therefore takes ``crop_size`` (the canvas), draws the
centre over it as above, and writes the part of the box that lies on the image:
``fill_in`` into the image and ``seg_fill_in`` into every seg field (the validity
map, and the label map where one is loaded), exactly like mmseg's ``RandomCutOut``
does. The part in the padding needs nothing: the preprocessor pads the image with
the normalisation mean (= the fill) and the validity map with 255.

mmseg's ``RandomCutOut`` (top-left corner uniform inside the *unpadded* crop, so
the box always lies on the image) stays available as the alternative placement.
"""
from typing import Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

__all__ = ['PaddedCutOut']


def _pair(value, name: str) -> Tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        value = (value, value)
    value = tuple(value)
    if len(value) != 2 or not all(
            isinstance(v, (int, np.integer)) and v > 0 for v in value):
        raise ValueError(f'PaddedCutOut: {name} must be a positive int or a pair '
                         f'(height, width) of positive ints, got {value}')
    return int(value[0]), int(value[1])


@TRANSFORMS.register_module()
class PaddedCutOut(BaseTransform):
    """One CutOut box centred uniformly on the padded crop, clipped (always applied).

    Args:
        crop_size (int | tuple[int, int]): ``(height, width)`` of the padded crop the
            centre is drawn over: the ``RandomCrop`` crop size and the data
            preprocessor's ``size`` (513×513 in the recipes).
        box_size (int | tuple[int, int]): ``(height, width)`` of the box before
            clipping; rows ``[cy - h//2, cy - h//2 + h)`` (released: 100, i.e.
            ``[cy - 50, cy + 50)``).
        fill_in (float | Sequence[float]): image value in the box, in the image's
            channel order (BGR after ``LoadImageFromFile``): the mean pixel of the
            model's normalisation, so that the box looks like padding to the network.
        seg_fill_in (int): value written into every seg field in the box (255:
            excluded from L_u and masked in the SGC attention).

    Modified keys: ``img`` and every key in ``seg_fields``.

    Raises:
        ValueError: if the image is larger than ``crop_size`` (the transform must
            follow ``RandomCrop`` with the same crop size).
    """

    def __init__(self,
                 crop_size,
                 box_size=(100, 100),
                 fill_in=(0.0, 0.0, 0.0),
                 seg_fill_in: int = 255) -> None:
        self.crop_size = _pair(crop_size, 'crop_size')
        self.box_size = _pair(box_size, 'box_size')
        if isinstance(fill_in, (int, float)):
            fill_in = (fill_in, ) * 3
        self.fill_in = tuple(float(v) for v in fill_in)
        if not 0 <= int(seg_fill_in) <= 255:
            raise ValueError(f'PaddedCutOut: seg_fill_in must be in 0..255, got '
                             f'{seg_fill_in}')
        self.seg_fill_in = int(seg_fill_in)

    @cache_randomness
    def _centre(self) -> Tuple[int, int]:
        """``(cy, cx)``, each uniform over the canvas (height drawn first)."""
        cy = int(np.random.randint(0, self.crop_size[0]))
        cx = int(np.random.randint(0, self.crop_size[1]))
        return cy, cx

    def box(self, centre: Tuple[int, int]) -> Tuple[int, int, int, int]:
        """``(y1, y2, x1, x2)`` of the box on the canvas, clipped to it."""
        (cy, cx), (bh, bw) = centre, self.box_size
        (ch, cw) = self.crop_size
        y1, x1 = cy - bh // 2, cx - bw // 2
        return max(0, y1), min(ch, y1 + bh), max(0, x1), min(cw, x1 + bw)

    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[:2]
        if height > self.crop_size[0] or width > self.crop_size[1]:
            raise ValueError(
                f"PaddedCutOut: image {results.get('img_path', '<unknown>')} is "
                f'{height}x{width} (HxW), larger than crop_size '
                f'{self.crop_size[0]}x{self.crop_size[1]}.\n'
                'Put PaddedCutOut after RandomCrop and give both the same crop size.')
        y1, y2, x1, x2 = self.box(self._centre())
        y2, x2 = min(y2, height), min(x2, width)  # the rest lies in the padding
        if y1 < y2 and x1 < x2:
            fill = np.asarray(self.fill_in, np.float64)
            fill = fill[:img.shape[2]] if img.ndim == 3 else fill[0]
            if not np.issubdtype(img.dtype, np.floating):  # uint8: nearest value
                fill = np.clip(np.rint(fill), 0, 255)
            img[y1:y2, x1:x2] = fill
            for key in results.get('seg_fields', []):
                results[key][y1:y2, x1:x2] = self.seg_fill_in
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'box_size={self.box_size}, fill_in={self.fill_in}, '
                f'seg_fill_in={self.seg_fill_in})')
