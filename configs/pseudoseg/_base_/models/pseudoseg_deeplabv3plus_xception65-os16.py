# PseudoSeg on DeepLabv3+ / aligned Xception-65, OS 16 (the released code's model).
# The SGC hypercolumn reads exit-flow blocks 1 and 2 (SPEC §3), the CAM block 2.
_base_ = ['./pseudoseg_deeplabv3plus_r101-os16.py', './xception65_backbone.py']
model = dict(
    data_preprocessor=_base_.xception65_normalisation,
    backbone=dict(_delete_=True, **_base_.xception65_backbone),
    decode_head=dict(in_channels=_base_.xception65_channels[3], in_index=3,
                     c1_in_channels=_base_.xception65_channels[0]),
    sgc_head=dict(in_channels=_base_.xception65_channels))
