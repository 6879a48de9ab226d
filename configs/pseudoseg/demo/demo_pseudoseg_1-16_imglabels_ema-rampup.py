# Embedded demo, row 'PseudoSeg, extra image-level labels' of `make demo`:
# demo_pseudoseg_1-16_imglabels plus the options of demo_pseudoseg_1-16_ema-rampup
# (EMA teacher momentum 0.01, sigmoid λ_u ramp-up over the first 600 iterations).
_base_ = ['./demo_pseudoseg_1-16_imglabels.py']
model = dict(semi_train_cfg=dict(teacher='ema'))
custom_hooks = [dict(type='PseudoLabelHook', interval=400, num_panels=2),
                dict(type='ClassCountCheckHook'),
                dict(type='EMATeacherHook', momentum=0.01),
                dict(type='UnsupWeightRampUpHook', rampup_iters=600, mode='sigmoid')]
