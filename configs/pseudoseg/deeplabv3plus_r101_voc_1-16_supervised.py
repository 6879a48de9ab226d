# VOC12 low-data (SPEC §8 table), row 'Supervised baseline', column 1/16:
# the 92 labelled images only, same model and schedule (56.03 mIoU).
_base_ = [
    './_base_/models/deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc_supervised.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
