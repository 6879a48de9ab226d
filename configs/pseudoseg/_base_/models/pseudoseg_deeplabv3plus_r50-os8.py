# PseudoSeg on DeepLabv3+ / ResNet-50 (V1c) at output stride 8: the last two stages
# dilated (strides (1, 2, 1, 1), dilations (1, 1, 2, 4)) and the ASPP rates doubled
# (12/24/36, DeepLab's rule for OS 8). Classifier, Grad-CAM and SGC run at stride 8
# (4x the attention positions of OS 16).
_base_ = ['./pseudoseg_deeplabv3plus_r50-os16.py']
model = dict(
    backbone=dict(strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4)),
    decode_head=dict(dilations=(1, 12, 24, 36)))
