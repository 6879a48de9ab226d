"""``ImageLevelLabels``: multi-hot foreground labels of a sample (docs/method.md §1, L_x).

From the mask of the (augmented, post-CutOut) crop by default, i.e. the classes
present in ``gt_seg_map`` when this transform runs; or passed through from
``img_labels`` that the dataset read from an image-label file.
"""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from .sample_checks import sample_num_classes

__all__ = ['ImageLevelLabels', 'labels_from_mask']


def labels_from_mask(seg: np.ndarray, num_classes: int) -> np.ndarray:
    """Multi-hot ``float32 (C-1,)``: entry ``c-1`` is 1 iff class ``c`` is in ``seg``.

    Background (0), the ignore index and any value ``>= num_classes`` are skipped.
    """
    counts = np.bincount(np.asarray(seg).ravel().astype(np.int64),
                         minlength=max(256, num_classes))
    return (counts[1:num_classes] > 0).astype(np.float32)


@TRANSFORMS.register_module()
class ImageLevelLabels(BaseTransform):
    """Set ``results['gt_image_labels']`` (float32 ``(C-1,)``).

    Args:
        source (str): ``'auto'`` (default: the mask when ``seg_key`` is present,
            else ``img_labels`` from a label file), ``'mask'`` or ``'file'``.
        seg_key (str): the label map field. Default ``'gt_seg_map'``.
        num_classes (int, optional): C incl. background; default: the
            ``num_classes`` the dataset puts in every sample.
    """

    def __init__(self, source: str = 'auto', seg_key: str = 'gt_seg_map',
                 num_classes: Optional[int] = None) -> None:
        if source not in ('auto', 'mask', 'file'):
            raise ValueError(f"ImageLevelLabels: source must be 'auto', 'mask' or "
                             f"'file', got {source!r}. Set one of the three.")
        self.source = source
        self.seg_key = seg_key
        self.num_classes = num_classes

    def transform(self, results: dict) -> dict:
        where = results.get('img_path', '<unknown image>')
        use_mask = self.source == 'mask' or (
            self.source == 'auto' and self.seg_key in results)
        if use_mask:
            if self.seg_key not in results:
                raise KeyError(f'ImageLevelLabels(source="mask"): {where} has no '
                               f'{self.seg_key!r}. Add LoadAnnotations to the '
                               'pipeline before ImageLevelLabels.')
            num_classes = sample_num_classes(results, self.num_classes,
                                             'ImageLevelLabels')
            labels = labels_from_mask(results[self.seg_key], num_classes)
        else:
            if 'img_labels' not in results:
                raise KeyError(
                    f'ImageLevelLabels: {where} has neither a mask ({self.seg_key!r}'
                    ') nor image-level labels. Add LoadAnnotations to the pipeline '
                    'or set the dataset\'s image_labels_file.')
            labels = np.asarray(results['img_labels'], np.float32).copy()
        results['gt_image_labels'] = labels
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(source={self.source!r}, '
                f'seg_key={self.seg_key!r}, num_classes={self.num_classes})')
