# VOC12 low-data (SPEC §8 table), row 'PseudoSeg, unlabelled', column 1/16:
# split draw 3 of 3 (SPEC §6: 1/16 has three draws; report mean and spread).
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
labelled_split = 'ImageSets/SegmentationSemi/1-16_seed3.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
