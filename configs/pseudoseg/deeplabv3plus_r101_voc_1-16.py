# Model zoo: VOC 1/16 (16_clean_3), extra unlabelled, ResNet-101; paper 57.60 (Table 2).
# 92 labelled images (1-16_seed1.txt = 16_clean_3.txt, tools/make_splits.py
# --released) + train_aug without labels; DeepLabv3+ R101 OS16, 8 labelled +
# 8 extra per GPU on 8 GPUs, lr 0.007, 30k iterations, γ = T = 0.5, crop 513.
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
