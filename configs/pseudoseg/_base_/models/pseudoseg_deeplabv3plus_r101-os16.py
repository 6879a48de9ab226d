# PseudoSeg on DeepLabv3+ / ResNet-101, OS 16 (docs/method.md §1-4): the supervised
# model plus the SGC head on the backbone's last two stages, the calibrated fusion and
# the multi-branch preprocessor. Values are the released code's defaults
# (docs/method.md §4, §7).
_base_ = ['./deeplabv3plus_r101-os16.py']
model = dict(
    type='PseudoSeg',
    data_preprocessor=dict(type='SemiSegDataPreProcessor'),
    sgc_head=dict(
        type='SGCHead',
        in_channels=(256, 512, 1024, 2048),  # every backbone output, in order
        cam_in_index=-1,                    # classifier + Grad-CAM: last stage
        hypercolumn_in_index=(-2, -1),      # SGC hypercolumn: last two stages
        attention_dim=128,
        # classifier: GAP -> 1x1 conv with no dropout on the ResNet path (third_party/
        # deeplab/core/resnet_v1_beta.py:262-268); Xception-65 has dropout 0.5
        dropout_ratio=0.0,
        background='released'),
    pseudo_labeler=dict(
        type='CalibratedFusion',
        gamma=0.5,          # decoder weight γ
        temperature=0.5,    # sharpening T
        norm='rms',         # released code's per-batch logit normaliser
        source='fusion',    # 'decoder' | 'sgc' (Table 5)
        hard=False,
        threshold=0.0),
    semi_train_cfg=dict(unsup_weight=1.0, use_image_labels=False))
# Pseudo-label diagnostics (confidence; accuracy/ECE where the extra data carries
# masks) and panels under work_dir/pseudo_labels every `interval` iterations.
custom_hooks = [dict(type='PseudoLabelHook', interval=500, num_panels=2),
                dict(type='ClassCountCheckHook')]
