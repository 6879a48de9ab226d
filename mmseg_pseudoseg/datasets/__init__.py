from .coco_object_semi import SemiCOCOObjectDataset
from .samplers import *  # noqa: F401,F403
from .semi_folder_dataset import SemiFolderDataset, SemiFolderTrainDataset
from .semi_seg_dataset import SemiSegDataset
from .transforms import *  # noqa: F401,F403
from .voc_semi import SemiVOCDataset

__all__ = ['SemiCOCOObjectDataset', 'SemiFolderDataset', 'SemiFolderTrainDataset',
           'SemiSegDataset', 'SemiVOCDataset']
