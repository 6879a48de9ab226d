# Model zoo: VOC 1/16 (16_clean_3), extra unlabelled, ResNet-50; no paper number.
# The headline recipe with DeepLabv3+ / ResNet-50 V1c (the paper's ResNet-50
# numbers are for image-level labels, Table 4).
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_r50-os16.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
