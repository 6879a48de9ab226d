"""Split-aware PASCAL VOC 2012 (+SBD) dataset (docs/method.md §6)."""
from mmseg.datasets import PascalVOCDataset
from mmseg.registry import DATASETS

from .semi_seg_dataset import SemiSegDataset

__all__ = ['SemiVOCDataset']


@DATASETS.register_module()
class SemiVOCDataset(SemiSegDataset):
    """VOC 2012 with 21 classes (background first), ignore index 255.

    Layout (relative to ``data_root``, e.g. ``data/VOCdevkit/VOC2012``)::

        JPEGImages/<id>.jpg
        SegmentationClassAug/<id>.png            (tools/convert_voc_aug.py)
        ImageSets/Segmentation/{train,val,trainaug}.txt
        ImageSets/SegmentationSemi/1-16_seed1.txt ...   (tools/make_splits.py)

    Default ``data_prefix`` is ``dict(img_path='JPEGImages',
    seg_map_path='SegmentationClassAug')``. See :class:`SemiSegDataset` for the
    split options (``with_masks``, ``exclude_split``, ``disjoint_from``,
    ``image_labels_file``, ``check_files``, ``on_unreadable``, ``max_unreadable``).
    """
    METAINFO = PascalVOCDataset.METAINFO
    DEFAULT_PREFIX = dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug')

    def __init__(self, ann_file: str, img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png', **kwargs) -> None:
        super().__init__(ann_file=ann_file, img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix, **kwargs)
