"""Checks of one loaded sample, at the boundary between the files and the model.

``CheckFiniteImage`` goes right after ``LoadImageFromFile``: an image with NaN or Inf
values (a float TIFF/EXR, any non-uint8 load) would turn every loss and weight into
NaN at the first step. ``CheckSegMap`` goes right after ``LoadAnnotations``: a mask
value outside ``[0, C) ∪ {ignore_index}`` or a mask of another size than its image
is a data error that training would otherwise consume silently (or crash on far
from its cause). Both raise :class:`SampleLoadError` with a one-line message that
names the file and ends with what to do.
"""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

__all__ = ['SampleLoadError', 'CheckFiniteImage', 'CheckSegMap', 'plain_list',
           'sample_num_classes']


class SampleLoadError(RuntimeError):
    """A sample could not be loaded or is invalid; the message names its files."""


def plain_list(values, limit: int = 10) -> str:
    """``'3, 7, 30'`` (plain ints) with ``' and 5 more'`` past ``limit``."""
    values = [int(v) for v in values]
    text = ', '.join(str(v) for v in values[:limit])
    if len(values) > limit:
        text += f' and {len(values) - limit} more'
    return text


def sample_num_classes(results: dict, num_classes: Optional[int],
                       owner: str) -> int:
    """C (background included) for a transform: its own ``num_classes``, else the
    ``num_classes`` that :class:`SemiSegDataset` puts in every sample."""
    num_classes = num_classes or results.get('num_classes')
    if not num_classes:
        raise ValueError(f'{owner} needs num_classes; set it in the transform or '
                         'use a dataset that puts it in every sample.')
    return int(num_classes)


def _size(array: np.ndarray) -> str:
    return f'{array.shape[0]}x{array.shape[1]}'


@TRANSFORMS.register_module()
class CheckFiniteImage(BaseTransform):
    """Raise if ``results['img']`` holds NaN or Inf values.

    Integer images (uint8, uint16, ...) are finite by construction and pass at no
    cost; float images are checked with ``np.isfinite``. The image is not changed.
    """

    def transform(self, results: dict) -> dict:
        img = results['img']
        if np.issubdtype(img.dtype, np.floating) or np.issubdtype(img.dtype,
                                                                  np.complexfloating):
            finite = np.isfinite(img)
            if not finite.all():
                nan = int(np.isnan(img).sum())
                inf = int((~finite).sum()) - nan
                path = results.get('img_path', '<unknown image>')
                raise SampleLoadError(
                    f'image {path} ({img.dtype}, {_size(img)}) has {nan} NaN and '
                    f'{inf} Inf value(s); training on it would make the losses and '
                    f'weights NaN. Repair or replace {path}, or remove its id from '
                    'the split file.')
        return results


@TRANSFORMS.register_module()
class CheckSegMap(BaseTransform):
    """Raise if the label map does not fit its image or its classes.

    Args:
        num_classes (int, optional): C, background included; default: the
            ``num_classes`` that :class:`SemiSegDataset` puts in every sample.
        ignore_index (int, optional): the label of ignored pixels; default: the
            sample's ``ignore_index`` (put there by the dataset), else 255.
        seg_key (str): the label map field. Default ``'gt_seg_map'``.

    A sample without the field (an inference pipeline without
    ``LoadAnnotations``) passes unchanged. Checks, in this order: the mask has the image's height and width; every value
    is in ``[0, C)`` or equals ``ignore_index`` (after ``LoadAnnotations`` has applied
    ``reduce_zero_label`` / ``label_map``).
    """

    def __init__(self, num_classes: Optional[int] = None,
                 ignore_index: Optional[int] = None,
                 seg_key: str = 'gt_seg_map') -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.seg_key = seg_key

    def transform(self, results: dict) -> dict:
        if self.seg_key not in results:  # inference pipelines drop LoadAnnotations
            return results
        seg, img = results[self.seg_key], results['img']
        seg_path = results.get('seg_map_path', '<unknown mask>')
        img_path = results.get('img_path', '<unknown image>')
        if seg.shape[:2] != img.shape[:2]:
            raise SampleLoadError(
                f'mask {seg_path} is {_size(seg)} pixels but its image {img_path} '
                f'is {_size(img)}; a mask must have the size of its image. '
                f'Regenerate {seg_path}, or check that seg_map_path points at the '
                'masks of these images.')
        num_classes = sample_num_classes(results, self.num_classes, 'CheckSegMap')
        ignore_index = self.ignore_index
        if ignore_index is None:
            ignore_index = results.get('ignore_index', 255)
        if seg.dtype == np.uint8:
            present = np.flatnonzero(np.bincount(seg.ravel(), minlength=256))
        else:
            present = np.unique(seg)
        bad = [v for v in present.tolist()
               if not (0 <= v < num_classes or v == ignore_index)]
        if bad:
            raise SampleLoadError(
                f'mask {seg_path} has values {plain_list(bad)} outside the classes '
                f'0..{int(num_classes) - 1} and the ignore index {int(ignore_index)}. '
                f'Rewrite {seg_path} with class indices (the palette PNGs of VOC '
                'need tools/convert_voc_aug.py), or fix the dataset classes.')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index}, seg_key={self.seg_key!r})')
