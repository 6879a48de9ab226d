# Model zoo: VOC 1/16 (16_clean_20), extra unlabelled, ResNet-101; no paper number.
# The headline recipe on another published 1/16 list: 92 labelled images,
# ImageSets/SegmentationSemi/1-16_seed3.txt = 16_clean_20.txt (make_splits.py --released).
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
labelled_split = 'ImageSets/SegmentationSemi/1-16_seed3.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
