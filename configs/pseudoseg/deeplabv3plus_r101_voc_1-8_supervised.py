# VOC12 low-data, docs/method.md §8 row 'Supervised baseline', column 1/8:
# the 183 labelled images only (split 1-8_seed1), ResNet-101, same model and
# schedule as the PseudoSeg recipe. Closest paper row: the same row with
# Xception-65 (no ResNet-101 number).
_base_ = ['./deeplabv3plus_r101_voc_1-16_supervised.py']
labelled_split = 'ImageSets/SegmentationSemi/1-8_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
