# Model zoo: VOC full (1,464), image-level labels, ResNet-101; paper: ResNet-50 73.8.
# 1,464 VOC train images labelled, the other 9,118 train_aug images (aug.txt)
# extra with image-level labels; no ResNet-101 number is cited (docs/method.md §8).
_base_ = ['./deeplabv3plus_r101_voc_1-16_imglabels.py']
labelled_split = 'ImageSets/Segmentation/train.txt'
extra_split = 'ImageSets/Segmentation/aug.txt'  # train_aug - train: 9,118
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
train_dataloader.dataset.datasets[1].ann_file = extra_split
