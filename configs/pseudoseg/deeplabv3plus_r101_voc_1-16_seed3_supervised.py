# VOC12 low-data, docs/method.md §8 row 'Supervised baseline', column 1/16:
# split draw 3 of 3 (docs/method.md §6: 1/16 has three draws; report mean and
# spread), ResNet-101. Closest paper row: Xception-65 (no ResNet-101 number).
_base_ = ['./deeplabv3plus_r101_voc_1-16_supervised.py']
labelled_split = 'ImageSets/SegmentationSemi/1-16_seed3.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
