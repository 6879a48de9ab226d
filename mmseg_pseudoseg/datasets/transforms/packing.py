"""``PackSemiSegInputs``: ``PackSegInputs`` plus the semi-supervised fields.

Per sample it packs the image, the chosen seg field as ``gt_sem_seg`` (the label map
for ``sup``/``weak``, the validity map for ``strong`` via ``seg_key='gt_valid_map'``),
``gt_image_labels`` when present, and metainfo incl. ``branch`` and ``img_id``
(docs/batch_format.md).
"""
import numpy as np
import torch
from mmseg.datasets.transforms import PackSegInputs
from mmseg.registry import TRANSFORMS

__all__ = ['PackSemiSegInputs']

META_KEYS = ('img_path', 'seg_map_path', 'img_id', 'ori_shape', 'img_shape',
             'pad_shape', 'scale_factor', 'flip', 'flip_direction',
             'reduce_zero_label', 'branch')


@TRANSFORMS.register_module()
class PackSemiSegInputs(PackSegInputs):
    """Pack one view.

    Args:
        seg_key (str): the seg field packed as ``gt_sem_seg``. ``'gt_seg_map'``
            (default; absent for extra data without masks) or ``'gt_valid_map'``
            (strong branch; then it must exist).
        meta_keys (tuple[str]): metainfo keys; default adds ``img_id`` and
            ``branch`` to ``PackSegInputs``'s.

    The packed ``data_samples.gt_image_labels`` is a float32 tensor ``(C-1,)``.
    """

    def __init__(self, seg_key: str = 'gt_seg_map', meta_keys=META_KEYS) -> None:
        super().__init__(meta_keys=meta_keys)
        self.seg_key = seg_key

    def transform(self, results: dict) -> dict:
        where = results.get('img_path', '<unknown image>')
        if self.seg_key != 'gt_seg_map':
            if self.seg_key not in results:
                raise KeyError(
                    f'PackSemiSegInputs(seg_key={self.seg_key!r}): {where} has no '
                    f'{self.seg_key!r}. Put GenerateValidityMap before the weak '
                    'geometry of the extra pipeline.')
            results = dict(results)
            results['gt_seg_map'] = results[self.seg_key]
        seg = results.get('gt_seg_map')
        if seg is not None and seg.shape[:2] != results['img'].shape[:2]:
            raise ValueError(
                f'PackSemiSegInputs: {self.seg_key} of {where} is '
                f'{seg.shape[0]}x{seg.shape[1]} pixels but the image is '
                f'{results["img"].shape[0]}x{results["img"].shape[1]}; a transform '
                'moved one without the other. List the field in '
                "results['seg_fields'] so that every geometric transform moves it.")
        packed = super().transform(results)
        if 'gt_image_labels' in results:
            packed['data_samples'].gt_image_labels = torch.from_numpy(
                np.asarray(results['gt_image_labels'], np.float32).copy())
        return packed

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(seg_key={self.seg_key!r}, '
                f'meta_keys={self.meta_keys})')
