# Model zoo: VOC 1/4 (4_clean), extra unlabelled, ResNet-101; paper 69.14 (Table 2).
# 366 labelled images (1-4_seed1.txt = 4_clean.txt, tools/make_splits.py
# --released) + train_aug without labels; DeepLabv3+ R101 OS16, 8 labelled +
# The headline recipe (deeplabv3plus_r101_voc_1-16.py) with this split.
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
labelled_split = 'ImageSets/SegmentationSemi/1-4_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
