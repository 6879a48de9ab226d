# Model zoo: COCO 1/128 (128_all), supervised baseline, Xception-65; paper 33.6.
# The 925 labelled train2017 images only (1-128_seed1.txt = 128_all.txt).
_base_ = ['./deeplabv3plus_xception65_coco_1-32_supervised.py']
labelled_split = 'ImageSets/SegmentationSemi/1-128_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
