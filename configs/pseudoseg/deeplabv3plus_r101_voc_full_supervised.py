# VOC12 1.4k/9k, docs/method.md §8 column 'full', row 'Supervised baseline', ResNet-101:
# the 1,464 VOC train images only (no paper number for this row).
_base_ = ['./deeplabv3plus_r101_voc_1-16_supervised.py']
labelled_split = 'ImageSets/Segmentation/train.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
