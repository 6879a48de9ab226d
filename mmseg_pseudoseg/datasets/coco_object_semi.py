"""Split-aware COCO-object dataset: 80 thing classes + background (docs/method.md §6)."""
from mmseg.registry import DATASETS

from ..visualization.palette import voc_colormap
from .semi_seg_dataset import SemiSegDataset

__all__ = ['SemiCOCOObjectDataset', 'COCO_OBJECT_CLASSES']

# The 80 COCO thing categories in ascending category-id order (ids 1..90 with gaps),
# i.e. the order in which tools/convert_coco_object.py numbers them 1..80.
COCO_OBJECT_CLASSES = (
    'background', 'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus',
    'train', 'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign',
    'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
    'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie',
    'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
    'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket',
    'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana',
    'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut',
    'cake', 'chair', 'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv',
    'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
    'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
    'teddy bear', 'hair drier', 'toothbrush')


@DATASETS.register_module()
class SemiCOCOObjectDataset(SemiSegDataset):
    """COCO 2017 as 81-class semantic segmentation, ids like ``train2017/000000283213``.

    Layout (relative to ``data_root``, e.g. ``data/coco``)::

        train2017/<n>.jpg  val2017/<n>.jpg               (COCO downloads)
        masks/train2017/<n>.png  masks/val2017/<n>.png   (tools/convert_coco_object.py)
        ImageSets/train2017.txt  ImageSets/val2017.txt   (tools/convert_coco_object.py)
        ImageSets/SegmentationSemi/1-512_seed1.txt ...   (tools/make_splits.py)

    Default ``data_prefix`` is ``dict(img_path='', seg_map_path='masks')``.
    """
    METAINFO = dict(classes=COCO_OBJECT_CLASSES,
                    palette=voc_colormap(len(COCO_OBJECT_CLASSES)))
    DEFAULT_PREFIX = dict(img_path='', seg_map_path='masks')

    def __init__(self, ann_file: str, img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png', **kwargs) -> None:
        super().__init__(ann_file=ann_file, img_suffix=img_suffix,
                         seg_map_suffix=seg_map_suffix, **kwargs)
