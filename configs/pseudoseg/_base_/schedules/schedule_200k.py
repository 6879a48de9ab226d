# COCO schedule (docs/method.md §7): the VOC schedule over 200k iterations, evaluated and
# checkpointed every 10k iterations.
_base_ = ['./schedule_30k.py']
max_iters = 200000
val_interval = 10000
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
