"""``GenerateValidityMap``: the strong view's loss mask as a seg field (docs/method.md §1, §5).

The map is ``0`` on every image pixel. It is registered in ``seg_fields``, so mmseg's
``Resize``/``RandomCrop``/``RandomFlip`` move it with the image, ``RandomCutOut(
seg_fill_in=255)`` writes ``255`` into the CutOut box, and the preprocessor pads it
with ``255`` (``seg_pad_val``). Packed as ``gt_sem_seg`` of the strong branch by
``PackSemiSegInputs(seg_key='gt_valid_map')``: ``0`` = valid, ``255`` = padding or
CutOut (docs/batch_format.md).
"""
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

__all__ = ['GenerateValidityMap']


@TRANSFORMS.register_module()
class GenerateValidityMap(BaseTransform):
    """Add ``results[key] = zeros(H, W, uint8)`` and list it in ``seg_fields``.

    Args:
        key (str): the field name. Default ``'gt_valid_map'``.
    """

    def __init__(self, key: str = 'gt_valid_map') -> None:
        self.key = key

    def transform(self, results: dict) -> dict:
        height, width = results['img'].shape[:2]
        results[self.key] = np.zeros((height, width), np.uint8)
        seg_fields = results.setdefault('seg_fields', [])
        if self.key not in seg_fields:
            seg_fields.append(self.key)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(key={self.key!r})'
