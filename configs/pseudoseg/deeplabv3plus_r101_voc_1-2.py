# VOC12 low-data, docs/method.md §8 row 'PseudoSeg, unlabelled', column 1/2:
# 732 labelled (split 1-2_seed1) + train_aug unlabelled, ResNet-101.
# The paper reports no 1/2 number for any backbone.
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
labelled_split = 'ImageSets/SegmentationSemi/1-2_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
