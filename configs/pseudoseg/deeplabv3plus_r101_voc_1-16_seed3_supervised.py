# Model zoo: VOC 1/16 (16_clean_20), supervised baseline, ResNet-101; no paper number.
# The 92 labelled images only (1-16_seed3.txt = 16_clean_20.txt), same model and schedule.
_base_ = ['./deeplabv3plus_r101_voc_1-16_supervised.py']
labelled_split = 'ImageSets/SegmentationSemi/1-16_seed3.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
