# Embedded demo, optional row (`python tools/demo.py --optional`; not in `make demo`):
# demo_pseudoseg_1-16 plus the two options meant for an untrained teacher
# (docs/method.md §9), since the demo starts from random init where the paper starts
# from ImageNet weights: an EMA teacher for the weak pass (EMATeacherHook, momentum
# 0.99, ~100-iteration memory for a 2,000-iteration run) and a sigmoid λ_u ramp-up
# over the first 1,000 iterations (UnsupWeightRampUpHook).
# Method, data and budget are otherwise demo_pseudoseg_1-16's (README "Demo").
_base_ = ['./demo_pseudoseg_1-16.py']
model = dict(semi_train_cfg=dict(teacher='ema'))
custom_hooks = [dict(type='PseudoLabelHook', interval=500, num_panels=2),
                dict(type='ClassCountCheckHook'),
                dict(type='EMATeacherHook', momentum=0.99),
                dict(type='UnsupWeightRampUpHook', rampup_iters=1000, mode='sigmoid')]
