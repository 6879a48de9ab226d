# Heads of the PseudoSeg transformer models (SegFormer, UPerNet / Swin-T, UPerNet /
# ViT-B/16; no published PseudoSeg number): the decode head reads all four backbone
# outputs, the SGC's classifier + Grad-CAM the last one and its hypercolumn the last
# two. A model base on top sets the backbone, the decode head's type and channels,
# and sgc_head.in_channels.
_base_ = ['./pseudoseg_deeplabv3plus_r101-os16.py']
model = dict(
    decode_head=dict(
        _delete_=True,
        in_index=[0, 1, 2, 3],
        dropout_ratio=0.1,
        num_classes=21,
        norm_cfg=dict(type='BN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                         loss_weight=1.0, avg_non_ignore=True)),
    sgc_head=dict(cam_in_index=-1, hypercolumn_in_index=(-2, -1)))
