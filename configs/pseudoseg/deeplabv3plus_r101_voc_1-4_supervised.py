# Model zoo: VOC 1/4 (4_clean), supervised baseline, ResNet-101; no paper number.
# The 366 labelled images only (1-4_seed1.txt = 4_clean.txt), same model and
# schedule as the PseudoSeg recipe.
_base_ = ['./deeplabv3plus_r101_voc_1-16_supervised.py']
labelled_split = 'ImageSets/SegmentationSemi/1-4_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
