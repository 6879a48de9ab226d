# Embedded demo, row 'PseudoSeg, extra unlabelled' of `make demo`: demo_pseudoseg_1-16
# (the VOC recipe scaled down, trained from random init) plus the two options meant
# for a teacher that starts untrained (docs/method.md §9): an EMA teacher for the weak
# pass (EMATeacherHook, momentum 0.01, the student's share of each update: a
# ~100-iteration memory in a 1,200-iteration run) and a sigmoid λ_u ramp-up over
# the first 600 iterations (UnsupWeightRampUpHook). The paper starts from ImageNet
# weights, whose pseudo labels are usable from step 0; from scratch they are not
# (docs/demo.md).
# Data, model, schedule and initialisation are otherwise demo_pseudoseg_1-16's.
_base_ = ['./demo_pseudoseg_1-16.py']
model = dict(semi_train_cfg=dict(teacher='ema'))
custom_hooks = [dict(type='PseudoLabelHook', interval=400, num_panels=2),
                dict(type='ClassCountCheckHook'),
                dict(type='EMATeacherHook', momentum=0.01),
                dict(type='UnsupWeightRampUpHook', rampup_iters=600, mode='sigmoid')]
