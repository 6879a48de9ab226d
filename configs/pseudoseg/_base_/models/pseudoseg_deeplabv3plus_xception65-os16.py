# PseudoSeg on DeepLabv3+ / aligned Xception-65, OS 16 (the released code's model).
# The SGC hypercolumn reads exit-flow blocks 1 and 2 (docs/method.md §3), the CAM
# block 2. Classifier dropout 0.5 before the 1x1 conv (keep_prob 0.5: third_party/
# deeplab/core/xception.py:501-505 and 719-723).
_base_ = ['./pseudoseg_deeplabv3plus_r101-os16.py', './xception65_backbone.py']
model = dict(
    data_preprocessor=_base_.xception65_normalisation,
    backbone=dict(_delete_=True, **_base_.xception65_backbone),
    decode_head=dict(in_channels=_base_.xception65_channels[3], in_index=3,
                     c1_in_channels=_base_.xception65_channels[0]),
    sgc_head=dict(in_channels=_base_.xception65_channels, dropout_ratio=0.5))
