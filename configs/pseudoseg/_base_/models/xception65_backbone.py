# Aligned Xception-65 backbone pieces shared by the Xception model bases (no `model`
# key here, so it combines with any model base). The backbone is mmseg_pseudoseg's
# `Xception65` with timm's parameter names; its ImageNet weights are the user's
# download of `timm/xception65.tf_in1k`, converted once to a plain state dict
# (see mmseg_pseudoseg/models/backbones/xception65.py):
#   python -c "import torch; from safetensors.torch import load_file; \
#   torch.save(load_file('model.safetensors'), 'checkpoints/xception65_tf_in1k.pth')"
xception65_backbone = dict(
    type='Xception65',
    output_stride=16,
    out_indices=(0, 1, 2, 3),  # 256 ch @4 (decoder low level), middle flow 728,
                               # exit-flow block 1 (1024), block 2 (2048), @16
    # BN decay 0.9997, eps 1e-3 (third_party/deeplab/core/feature_extractor.py:
    # 625-632): PyTorch momentum 1 - 0.9997
    norm_cfg=dict(type='BN', eps=1e-3, momentum=0.0003, requires_grad=True),
    norm_eval=False,
    init_cfg=dict(type='Pretrained',
                  checkpoint='checkpoints/xception65_tf_in1k.pth'))
xception65_channels = (256, 728, 1024, 2048)
# timm's tf_in1k weights expect RGB in [-1, 1].
xception65_normalisation = dict(mean=[127.5, 127.5, 127.5],
                                std=[127.5, 127.5, 127.5])
