# PseudoSeg on UPerNet / ViT-B/16 with mmseg's multi-level neck (mmseg's model; no
# published PseudoSeg number). A plain ViT gives single-resolution features: the
# backbone outputs layers 3/6/9/12, all at stride 16 with 768 channels; the neck
# (not the SGC) rescales them to strides 4/8/16/32 for UPerHead. The SGC reads the
# backbone outputs: classifier + Grad-CAM on layer 12, hypercolumn = layers 9 and 12
# (two layers at one stride, concatenated as they are). Weights: mmseg's converted
# ViT-B/16 (tools/model_converters/vitjax2mmseg.py on jx_vit_base_p16_224).
_base_ = ['./pseudoseg_four_level_heads.py']
vit_channels = (768, 768, 768, 768)
model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='VisionTransformer',
        img_size=(512, 512),
        patch_size=16,
        in_channels=3,
        embed_dims=768,
        num_layers=12,
        num_heads=12,
        mlp_ratio=4,
        out_indices=(2, 5, 8, 11),  # must include the last layer: every layer trains
        qkv_bias=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.1,
        with_cls_token=True,
        norm_cfg=dict(type='LN', eps=1e-6),
        act_cfg=dict(type='GELU'),
        norm_eval=False,
        interpolate_mode='bicubic',
        init_cfg=dict(type='Pretrained',
                      checkpoint='pretrain/jx_vit_base_p16_224-80ecf9dd.pth')),
    neck=dict(
        type='MultiLevelNeck',
        in_channels=list(vit_channels),
        out_channels=768,
        scales=[4, 2, 1, 0.5]),
    decode_head=dict(type='UPerHead', in_channels=list(vit_channels),
                     pool_scales=(1, 2, 3, 6), channels=512),
    sgc_head=dict(in_channels=vit_channels))
