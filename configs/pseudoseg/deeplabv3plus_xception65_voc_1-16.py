# Model zoo: VOC 1/16 (16_clean_3), extra unlabelled, Xception-65; paper 67.06.
# The released code's backbone; needs the timm weights (model base).
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_xception65-os16.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
# CutOut fill = this model's normalisation mean, 127.5 (xception65_backbone.py).
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[1].pipeline[-1].strong[1].fill_in = (127.5, ) * 3
