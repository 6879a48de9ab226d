# VOC12 1.4k/9k (SPEC §8 table, column 'full'), row 'Supervised baseline':
# fully supervised ceiling of the low-data table; 1,464 VOC train labelled.
_base_ = ['./deeplabv3plus_r101_voc_1-16_supervised.py']
labelled_split = 'ImageSets/Segmentation/train.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
