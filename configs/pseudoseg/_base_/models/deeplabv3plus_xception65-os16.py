# DeepLabv3+ / aligned Xception-65 at output stride 16 (the released code's model),
# supervised: the R101 model with the backbone swapped (exit-flow dilation 2 gives
# stride 16; ASPP 6/12/18 and the stride-4 decoder as before).
_base_ = ['./deeplabv3plus_r101-os16.py', './xception65_backbone.py']
model = dict(
    data_preprocessor=_base_.xception65_normalisation,
    backbone=dict(_delete_=True, **_base_.xception65_backbone),
    decode_head=dict(in_channels=_base_.xception65_channels[3], in_index=3,
                     c1_in_channels=_base_.xception65_channels[0]))
