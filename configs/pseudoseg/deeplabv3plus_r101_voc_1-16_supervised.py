# Model zoo: VOC 1/16 (16_clean_3), supervised baseline, ResNet-101; no paper number.
# The 92 labelled images only (1-16_seed1.txt = 16_clean_3.txt), same model and
# schedule as the PseudoSeg recipe.
_base_ = [
    './_base_/models/deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc_supervised.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
