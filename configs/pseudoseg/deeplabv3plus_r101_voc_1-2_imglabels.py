# Model zoo: VOC 1/2 (2_clean), image-level labels, R101; paper: R50 73.51 (Table 4).
# 732 labelled images (1-2_seed1.txt = 2_clean.txt) + train_aug with
# image-level labels; no ResNet-101 number is cited (docs/method.md §8).
_base_ = ['./deeplabv3plus_r101_voc_1-16_imglabels.py']
labelled_split = 'ImageSets/SegmentationSemi/1-2_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
