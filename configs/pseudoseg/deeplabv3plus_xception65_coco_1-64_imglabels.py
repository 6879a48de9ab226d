# COCO, docs/method.md §8 (Xception-65), row 'PseudoSeg, image-level labels', column
# 1/64 of train2017 (split 1-64_seed1; the paper reports no number for it).
_base_ = ['./deeplabv3plus_xception65_coco_1-32_imglabels.py']
labelled_split = 'ImageSets/SegmentationSemi/1-64_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
train_dataloader.dataset.datasets[1].exclude_split = labelled_split
