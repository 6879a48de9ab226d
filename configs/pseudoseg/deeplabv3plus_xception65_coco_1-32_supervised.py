# Model zoo: COCO 1/32 (32_all), supervised baseline, Xception-65; paper 42.24.
# The 3,697 labelled train2017 images only (1-32_seed1.txt = 32_all.txt).
_base_ = [
    './_base_/models/deeplabv3plus_xception65-os16.py',
    './_base_/datasets/coco_supervised.py',
    './_base_/schedules/schedule_200k.py', './_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(test_cfg=dict(size=(641, 641))),  # COCO eval crop
    decode_head=dict(num_classes=81))  # 80 things + background
