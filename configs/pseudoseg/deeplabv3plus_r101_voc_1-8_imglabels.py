# Model zoo: VOC 1/8 (8_clean), image-level labels, R101; paper: R50 69.15 (Table 4).
# 183 labelled images (1-8_seed1.txt = 8_clean.txt) + train_aug with
# image-level labels; no ResNet-101 number is cited (docs/method.md §8).
_base_ = ['./deeplabv3plus_r101_voc_1-16_imglabels.py']
labelled_split = 'ImageSets/SegmentationSemi/1-8_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
