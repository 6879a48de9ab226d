# VOC12 low-data, docs/method.md §8 row 'PseudoSeg, unlabelled', column 1/16:
# 92 labelled (split 1-16_seed1) + train_aug unlabelled, ResNet-101. Closest
# paper row: the same row with Xception-65 (no ResNet-101 number). The headline
# recipe: R101 OS16, 8 labelled + 8 unlabelled per GPU on 8 GPUs, lr 0.007, 30k
# iterations, γ = T = 0.5, crop 513.
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
