# VOC schedule (docs/method.md §7): SGD momentum 0.9, lr 0.007, poly decay (power
# 0.9) to 0 over 30k iterations, no warm-up; evaluation (single scale, no flip) and a
# checkpoint every 2k iterations; the best-mIoU checkpoint is kept as
# best_mIoU_iter_*.pth next to the final iter_30000.pth (both are reported).
#
# Weight decay 4e-5: the released code's default (--weight_decay, whose comment
# advises 1e-4 for ResNet variants; the paper gives no value, docs/method.md §7),
# kept for every backbone so all recipes share one schedule.
# As in TF DeepLab, norm layers, biases and depthwise convs do not decay. Nor do the
# SGC's key, query and output layers (conv and its BN shift): the released code
# builds them outside every regularised arg_scope (core/train_utils_core.py:196-206
# and 258-265, called from train_wss.py:405-415 and 666-676), so they carry no L2
# term; the classifier, built inside the backbone's scope, keeps its decay.
max_iters = 30000
val_interval = 2000
optimizer = dict(type='SGD', lr=0.007, momentum=0.9, weight_decay=4e-5)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=optimizer,
    paramwise_cfg=dict(
        norm_decay_mult=0.0, bias_decay_mult=0.0, dwconv_decay_mult=0.0,
        custom_keys={
            'sgc_head.key': dict(decay_mult=0.0),
            'sgc_head.query': dict(decay_mult=0.0),
            'sgc_head.out_conv': dict(decay_mult=0.0),
            'sgc_head.out_bias': dict(decay_mult=0.0),
        }),
    clip_grad=None)
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=val_interval,
                    max_keep_ckpts=2, save_last=True, save_best='mIoU',
                    rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
    # every rank's random-generator states in the checkpoints: --resume is exact
    rng_state=dict(type='RNGStateHook'),
    # extra images skipped as unreadable (on_unreadable='skip'): log, list, cap
    unreadable_images=dict(type='UnreadableImageHook'))
# A fixed seed: SemiBatchSampler's stream (and an exact resume) depends on it.
randomness = dict(seed=0)
