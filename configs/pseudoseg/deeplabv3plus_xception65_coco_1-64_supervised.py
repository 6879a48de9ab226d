# Model zoo: COCO 1/64 (64_all), supervised baseline, Xception-65; paper 37.8.
# The 1,849 labelled train2017 images only (1-64_seed1.txt = 64_all.txt).
_base_ = ['./deeplabv3plus_xception65_coco_1-32_supervised.py']
labelled_split = 'ImageSets/SegmentationSemi/1-64_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
