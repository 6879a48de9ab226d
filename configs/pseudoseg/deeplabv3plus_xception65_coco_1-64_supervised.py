# COCO, docs/method.md §8 (Xception-65, as the paper), row 'Supervised', column 1/64
# of train2017 (split 1-64_seed1; 37.8 mIoU).
_base_ = ['./deeplabv3plus_xception65_coco_1-32_supervised.py']
labelled_split = 'ImageSets/SegmentationSemi/1-64_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ann_file = labelled_split
