# Model zoo: VOC 1/8 (8_clean), supervised baseline, ResNet-101; no paper number.
# The 183 labelled images only (1-8_seed1.txt = 8_clean.txt), same model and
# schedule as the PseudoSeg recipe.
_base_ = ['./deeplabv3plus_r101_voc_1-16_supervised.py']
labelled_split = 'ImageSets/SegmentationSemi/1-8_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
