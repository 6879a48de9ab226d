# The 30k-iteration schedule of schedule_30k.py with mmseg's transformer optimiser
# (SegFormer / Swin / ViT recipes): AdamW lr 6e-5, betas (0.9, 0.999), wd 0.01, no
# decay on norms, linear warm-up over 1,500 iterations, then poly decay (power 1.0)
# to 0. Each recipe adds its backbone's no-decay / lr keys to
# optim_wrapper.paramwise_cfg.custom_keys.
_base_ = ['./schedule_30k.py']
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=dict(norm=dict(decay_mult=0.0))))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=30000,
         by_epoch=False)
]
