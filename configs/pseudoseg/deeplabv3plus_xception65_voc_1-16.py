# VOC12 low-data, docs/method.md §8 row 'PseudoSeg, unlabelled', column 1/16, with the
# released code's Xception-65, the backbone the paper measured (67.06 mIoU);
# needs the timm weights (model base).
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_xception65-os16.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
# CutOut fill = this model's normalisation mean, 127.5 (xception65_backbone.py).
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[1].pipeline[-1].strong[1].fill_in = (127.5, ) * 3
