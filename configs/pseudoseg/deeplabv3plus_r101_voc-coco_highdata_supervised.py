# Paper Table 7 (high-data regime), supervised row: the 10,582 VOC train_aug images
# only, same model and 90k schedule; VOC val.
_base_ = [
    './_base_/models/deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc_supervised.py',
    './_base_/schedules/schedule_90k.py', './_base_/default_runtime.py'
]
labelled_split = 'ImageSets/Segmentation/trainaug.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
