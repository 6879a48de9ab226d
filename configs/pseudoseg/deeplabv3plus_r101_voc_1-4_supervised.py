# VOC12 low-data (SPEC §8 table), row 'Supervised baseline', column 1/4:
# 366 labelled (split 1-4_seed1; 70.20 mIoU).
_base_ = ['./deeplabv3plus_r101_voc_1-16_supervised.py']
labelled_split = 'ImageSets/SegmentationSemi/1-4_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
