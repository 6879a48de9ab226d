# VOC12 1.4k/9k, docs/method.md §8 column 'full', row 'PseudoSeg, unlabelled', ResNet-101
# as the paper's comparison row (73.23 mIoU, R101); 1,464 VOC train labelled,
# the other 9k train_aug images extra.
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
labelled_split = 'ImageSets/Segmentation/train.txt'
extra_split = 'ImageSets/Segmentation/aug.txt'  # train_aug - train: 9,118
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
train_dataloader.dataset.datasets[1].ann_file = extra_split
