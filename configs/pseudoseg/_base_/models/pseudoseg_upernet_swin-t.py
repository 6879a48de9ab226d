# PseudoSeg on UPerNet / Swin-T (mmseg's model; no published PseudoSeg number).
# Backbone outputs: 4 stages at strides 4/8/16/32, channels 96/192/384/768; UPerHead
# fuses all four. Classifier + Grad-CAM on the last stage (stride 32), SGC
# hypercolumn = the last two stages (resized to stride 32). No auxiliary head (as
# the DeepLab recipe).
_base_ = ['./pseudoseg_four_level_heads.py']
swin_channels = (96, 192, 384, 768)
model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        pretrain_img_size=224,
        embed_dims=96,
        patch_size=4,
        window_size=7,
        mlp_ratio=4,
        depths=[2, 2, 6, 2],
        num_heads=[3, 6, 12, 24],
        strides=(4, 2, 2, 2),
        out_indices=(0, 1, 2, 3),
        qkv_bias=True,
        qk_scale=None,
        patch_norm=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.3,
        use_abs_pos_embed=False,
        act_cfg=dict(type='GELU'),
        norm_cfg=dict(type='LN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint='https://download.openmmlab.com/'
                      'mmsegmentation/v0.5/pretrain/swin/'
                      'swin_tiny_patch4_window7_224_20220317-1cdeb081.pth')),
    decode_head=dict(type='UPerHead', in_channels=list(swin_channels),
                     pool_scales=(1, 2, 3, 6), channels=512),
    sgc_head=dict(in_channels=swin_channels))
