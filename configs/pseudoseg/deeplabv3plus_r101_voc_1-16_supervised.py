# VOC12 low-data, docs/method.md §8 row 'Supervised baseline', column 1/16:
# the 92 labelled images only (split 1-16_seed1), ResNet-101, same model and
# schedule as the PseudoSeg recipe. Closest paper row: the same row with
# Xception-65 (no ResNet-101 number).
_base_ = [
    './_base_/models/deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc_supervised.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
