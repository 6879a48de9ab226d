# Paper Table 7 (high-data regime), supervised row: the 1,464 VOC train images only,
# the Table 7 model and 90k schedule; VOC val. ResNet-101; no paper number is cited
# here (docs/method.md §8).
_base_ = [
    './_base_/models/deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc_supervised.py',
    './_base_/schedules/schedule_90k.py', './_base_/default_runtime.py'
]
labelled_split = 'ImageSets/Segmentation/train.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
