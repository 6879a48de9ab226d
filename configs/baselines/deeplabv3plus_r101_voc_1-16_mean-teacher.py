# Model zoo: VOC 1/16 (16_clean_3), Mean Teacher (CutMix-Seg code's baseline),
# ResNet-101.
# The PseudoSeg 1/16 recipe's data, model, batch and schedule with Mean Teacher
# (docs/methods.md §2): EMA teacher (alpha 0.99 = momentum 0.01) on the weak view,
# student on the colour-jittered view, squared error of the softmaxes with the
# scalar confidence factor (threshold 0.97), weight 0.003 (the code's VOC script).
_base_ = [
    '../pseudoseg/_base_/models/deeplabv3plus_r101-os16.py',
    './_base_/voc_semi_views.py',
    '../pseudoseg/_base_/schedules/schedule_30k.py',
    '../pseudoseg/_base_/default_runtime.py'
]
model = dict(type='MeanTeacher',
             data_preprocessor=dict(type='SemiSegDataPreProcessor'),
             semi_train_cfg=dict(teacher='ema', conf_thresh=0.97, unsup_weight=0.003))
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[1].pipeline = _base_.mean_teacher_extra_pipeline
custom_hooks = [dict(type='EMATeacherHook', momentum=0.01),
                dict(type='PseudoLabelHook', interval=500, num_panels=2),
                dict(type='ClassCountCheckHook')]
