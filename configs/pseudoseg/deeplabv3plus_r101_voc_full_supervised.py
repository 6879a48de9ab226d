# Model zoo: VOC full (1,464), supervised baseline, ResNet-101; no paper number.
# The 1,464 VOC train images only.
_base_ = ['./deeplabv3plus_r101_voc_1-16_supervised.py']
labelled_split = 'ImageSets/Segmentation/train.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
