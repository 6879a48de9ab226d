# PseudoSeg on DeepLabv3+ / ResNet-50 (V1c), OS 16: the R101 model with depth 50
# (same stage channels, so the heads are unchanged).
_base_ = ['./pseudoseg_deeplabv3plus_r101-os16.py']
model = dict(
    backbone=dict(
        depth=50,
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')))
