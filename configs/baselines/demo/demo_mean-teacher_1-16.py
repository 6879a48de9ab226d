# Demo row 'Mean Teacher, extra unlabelled' (tools/demo.py --compare): the demo's
# data, model, batch, schedule and random initialisation (demo_pseudoseg_1-16.py)
# with the Mean Teacher recipe's step (deeplabv3plus_r101_voc_1-16_mean-teacher.py)
# at its authors' defaults (docs/methods.md §2): EMA teacher with momentum 0.01 (the
# student's share; as the PseudoSeg demo row's), squared error of the softmaxes with
# the confidence factor at 0.97, weight 0.003, colour-jittered student view, no
# ramp-up.
_base_ = ['../../pseudoseg/demo/demo_pseudoseg_1-16.py']
model = _base_.model  # edit the inherited dict in place
model.pop('sgc_head')
model.pop('pseudo_labeler')
model.type = 'MeanTeacher'
model.semi_train_cfg = dict(teacher='ema', conf_thresh=0.97, unsup_weight=0.003)
strong_view = [
    dict(type='PILColorJitter', brightness=0.4, contrast=0.4, saturation=0.4,
         hue=0.1, prob=0.8, gray_prob=0.2),
    dict(type='PackSemiSegInputs', seg_key='gt_valid_map'),
]
train_dataloader = _base_.train_dataloader
train_dataloader.dataset.datasets[1].pipeline[-1] = dict(
    type='MultiView', branch_field=_base_.branches,
    weak=[dict(type='PackSemiSegInputs')], strong=strong_view)
custom_hooks = [dict(type='EMATeacherHook', momentum=0.01),
                dict(type='PseudoLabelHook', interval=400, num_panels=2),
                dict(type='ClassCountCheckHook')]
