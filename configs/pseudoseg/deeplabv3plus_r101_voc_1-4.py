# VOC12 low-data (SPEC §8 table), row 'PseudoSeg, unlabelled', column 1/4:
# 366 labelled (split 1-4_seed1; 73.79 mIoU).
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
labelled_split = 'ImageSets/SegmentationSemi/1-4_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
