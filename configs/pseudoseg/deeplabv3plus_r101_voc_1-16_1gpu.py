# Model zoo: VOC 1/16 (16_clean_3), extra unlabelled, ResNet-101 on 1 GPU; paper 57.60.
# The headline recipe's Table row (VOC 1/16 unlabelled, R101 OS16) on ONE GPU with
# the paper's effective batch: 4 labelled + 4 unlabelled per step (the paper's
# per-GPU batch on its 16 GPUs) and gradients accumulated over 16 steps = 64 + 64
# per update, lr 0.007, 30k updates = 480k iterations (mmengine counts every
# accumulated step; schedule, validation and checkpoints are stretched 16x). What
# differs from 8 GPUs: BatchNorm statistics over 4 + 4 images instead of 8 + 8, and
# 16x the wall time.
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
accumulate = 16
max_iters = 30000 * accumulate
val_interval = 2000 * accumulate
train_dataloader = dict(batch_size=8,
                        batch_sampler=dict(labelled_per_gpu=4, extra_per_gpu=4))
optim_wrapper = dict(accumulative_counts=accumulate)
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(logger=dict(interval=50 * accumulate),
                     checkpoint=dict(interval=val_interval))
custom_hooks = [dict(type='PseudoLabelHook', interval=500 * accumulate,
                     num_panels=2)]
