# PseudoSeg on SegFormer (MixVisionTransformer MiT-B2 + SegformerHead, mmseg's model;
# no published PseudoSeg number). Backbone outputs: 4 stages at strides 4/8/16/32,
# channels 64/128/320/512; the head fuses all four. Classifier + Grad-CAM on the
# last stage (stride 32), SGC hypercolumn = the last two stages (16 and 32, resized
# to the CAM's stride 32), as the DeepLab recipe's "last two stages".
_base_ = ['./pseudoseg_four_level_heads.py']
mit_channels = (64, 128, 320, 512)
model = dict(
    backbone=dict(
        _delete_=True,
        type='MixVisionTransformer',
        in_channels=3,
        embed_dims=64,
        num_stages=4,
        num_layers=[3, 4, 6, 3],
        num_heads=[1, 2, 5, 8],
        patch_sizes=[7, 3, 3, 3],
        sr_ratios=[8, 4, 2, 1],
        out_indices=(0, 1, 2, 3),
        mlp_ratio=4,
        qkv_bias=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint='https://download.openmmlab.com/'
                      'mmsegmentation/v0.5/pretrain/segformer/'
                      'mit_b2_20220624-66e8bf70.pth')),
    decode_head=dict(type='SegformerHead', in_channels=list(mit_channels),
                     channels=256),
    sgc_head=dict(in_channels=mit_channels))
