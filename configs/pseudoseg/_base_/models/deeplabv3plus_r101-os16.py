# DeepLabv3+ / ResNet-101 (V1c) at output stride 16: the supervised model
# (docs/method.md §7).
# Encoder: strides (1, 2, 2, 1), dilations (1, 1, 1, 2) -> stride 16; ASPP rates
# 6/12/18 (mmseg's `dilations=(1, 6, 12, 18)`: the 1 is the 1x1 branch); decoder
# fuses the stride-4 feature (stage 1) as in DeepLabv3+.
# Norm: plain BN (the paper did not synchronise BN). For synchronised statistics
# across GPUs set `type='SyncBN'` in both norm configs below (tools/dist_train.sh
# runs DDP, which SyncBN needs).
# BN moving averages as the released code: TF decay d is PyTorch momentum 1 - d.
# ResNet backbone decay 0.95, eps 1e-5 (third_party/deeplab/core/
# feature_extractor.py:609-614) -> momentum 0.05; ASPP and decoder decay 0.9997,
# eps 1e-5 (core/model.py:457-460 and 702-705) -> momentum 0.0003.
backbone_norm_cfg = dict(type='BN', requires_grad=True, momentum=0.05, eps=1e-5)
norm_cfg = dict(type='BN', requires_grad=True, momentum=0.0003, eps=1e-5)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,            # after normalisation: padding = the mean colour
                          # (docs/method.md §5)
    seg_pad_val=255,
    size=(513, 513),      # training: pad every view to the crop (docs/method.md §5)
    test_cfg=dict(size=(513, 513)))  # eval: pad to DeepLab's eval crop, 513 on VOC
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='ResNetV1c',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 1, 2),
        strides=(1, 2, 2, 1),
        norm_cfg=backbone_norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(type='Pretrained',
                      checkpoint='open-mmlab://resnet101_v1c')),
    decode_head=dict(
        type='DepthwiseSeparableASPPHead',
        in_channels=2048,
        in_index=3,
        channels=256,           # DeepLab's ASPP/decoder depth (mmseg's default: 512)
        dilations=(1, 6, 12, 18),
        c1_in_channels=256,
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=21,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                         loss_weight=1.0, avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))  # single scale, no flip (docs/method.md §5)
