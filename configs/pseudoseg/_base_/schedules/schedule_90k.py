# High-data schedule (paper Table 7, docs/method.md §7): the VOC schedule over 90k
# iterations, evaluated on VOC val and checkpointed every 2k iterations.
_base_ = ['./schedule_30k.py']
max_iters = 90000
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters)
