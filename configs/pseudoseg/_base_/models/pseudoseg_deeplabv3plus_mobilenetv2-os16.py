# PseudoSeg on DeepLabv3+ / MobileNetV2 (width 1.0), OS 16 (the released code's
# TF DeepLab also offers MobileNetV2; no published PseudoSeg number). Backbone
# outputs: blocks 2/3/5/7 at strides 4/8/16/16, channels 24/32/96/320; the decoder
# reads the last (ASPP) and the first (stride-4 skip). Classifier + Grad-CAM on the
# last output, SGC hypercolumn = the last two (both stride 16).
_base_ = ['./pseudoseg_deeplabv3plus_r101-os16.py']
mbv2_channels = (24, 32, 96, 320)
model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        widen_factor=1.0,
        strides=(1, 2, 2, 2, 1, 1, 1),
        dilations=(1, 1, 1, 1, 1, 2, 2),
        out_indices=(1, 2, 4, 6),
        # released mobilenet_v2_arg_scope: bn_decay 0.997, slim's epsilon 1e-3
        # (third_party/deeplab/core/feature_extractor.py:251-280)
        norm_cfg=dict(type='BN', requires_grad=True, momentum=0.003, eps=1e-3),
        act_cfg=dict(type='ReLU6'),
        init_cfg=dict(type='Pretrained', checkpoint='mmcls://mobilenet_v2')),
    decode_head=dict(in_channels=mbv2_channels[3], in_index=3,
                     c1_in_channels=mbv2_channels[0]),
    sgc_head=dict(in_channels=mbv2_channels, cam_in_index=-1,
                  hypercolumn_in_index=(-2, -1)))
