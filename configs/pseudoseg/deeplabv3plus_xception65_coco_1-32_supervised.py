# COCO, docs/method.md §8 (Xception-65, as the paper), row 'Supervised', column 1/32
# of train2017 (split 1-32_seed1; 42.24 mIoU).
_base_ = [
    './_base_/models/deeplabv3plus_xception65-os16.py',
    './_base_/datasets/coco_supervised.py',
    './_base_/schedules/schedule_200k.py', './_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(test_cfg=dict(size=(641, 641))),  # COCO eval crop
    decode_head=dict(num_classes=81))  # 80 things + background
