# VOC12 low-data, docs/method.md §8 row 'PseudoSeg, unlabelled', column 1/16, with
# DeepLabv3+ / ResNet-50 V1c (backbone variant of the 1/16 recipe). Closest paper
# row: the same row with Xception-65 (the paper's ResNet-50 number is for the
# 'full' column with image-level labels).
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_r50-os16.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
