# Model zoo: VOC 1/16 (16_clean_3), image-level labels, R101; paper: R50 only (Table 4).
# 92 labelled images (1-16_seed1.txt = 16_clean_3.txt) + train_aug with
# image-level labels; no ResNet-101 number is cited (docs/method.md §8).
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc_semi_imglabels.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
model = dict(semi_train_cfg=dict(use_image_labels=True))
