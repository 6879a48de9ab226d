# VOC12 low-data, docs/method.md §8 row 'PseudoSeg, image-level labels', column 1/16:
# 92 labelled (split 1-16_seed1) + train_aug with image-level labels,
# ResNet-101. Closest paper row: the same row with Xception-65 (no ResNet-101 number).
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc_semi_imglabels.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
model = dict(semi_train_cfg=dict(use_image_labels=True))
