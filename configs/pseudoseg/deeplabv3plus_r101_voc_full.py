# Model zoo: VOC full (1,464), extra unlabelled, ResNet-101; paper 73.23.
# 1,464 VOC train images labelled, the other 9,118 train_aug images (aug.txt,
# the paper's "9k") extra; the extra set excludes the labelled images.
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
labelled_split = 'ImageSets/Segmentation/train.txt'
extra_split = 'ImageSets/Segmentation/aug.txt'  # train_aug - train: 9,118
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
train_dataloader.dataset.datasets[1].ann_file = extra_split
