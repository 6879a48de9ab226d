# VOC12 low-data, docs/method.md §8 row 'PseudoSeg, unlabelled', column 1/4:
# 366 labelled (split 1-4_seed1) + train_aug unlabelled, ResNet-101.
# Closest paper row: the same row with Xception-65 (no ResNet-101 number).
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
labelled_split = 'ImageSets/SegmentationSemi/1-4_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
