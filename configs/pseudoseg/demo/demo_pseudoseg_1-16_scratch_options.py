# Embedded demo, optional row (`python tools/demo.py --optional`; not in `make demo`):
# demo_pseudoseg_1-16 plus the two SPEC options meant for an untrained teacher, since
# the demo starts from random init where the paper starts from ImageNet weights:
# an EMA teacher for the weak pass (momentum 0.99, ~100-iteration memory for a
# 2,000-iteration run) and a sigmoid λ_u ramp-up over the first 1,000 iterations.
# Method, data and budget are otherwise demo_pseudoseg_1-16's (README "Demo").
_base_ = ['./demo_pseudoseg_1-16.py']
model = dict(semi_train_cfg=dict(teacher='ema', ema_momentum=0.99))
custom_hooks = [dict(type='PseudoLabelHook', interval=500, num_panels=2,
                     rampup_iters=1000, rampup='sigmoid')]
