# Model zoo: COCO 1/32 (32_all), extra unlabelled, Xception-65; paper 43.64.
# 3,697 labelled train2017 images (1-32_seed1.txt = 32_all.txt), the rest of
# train2017 extra (the labelled split excluded).
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_xception65-os16.py',
    './_base_/datasets/coco_semi_unlabelled.py',
    './_base_/schedules/schedule_200k.py', './_base_/default_runtime.py'
]
model = dict(
    data_preprocessor=dict(test_cfg=dict(size=(641, 641))),  # COCO eval crop
    decode_head=dict(num_classes=81))  # 80 things + background
# CutOut fill = this model's normalisation mean, 127.5 (xception65_backbone.py).
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[1].pipeline[-1].strong[1].fill_in = (127.5, ) * 3
