# Model zoo: VOC 1/16 (16_clean_3), FixMatch (UniMatch's fixmatch.py), ResNet-101.
# The PseudoSeg 1/16 recipe's data, model, batch (8 + 8 per GPU on 8 GPUs) and
# schedule (30k iterations, lr 0.007) with FixMatch's loss (docs/methods.md §4):
# hard labels of the weak view, threshold 0.95, strong view with colour jitter,
# grayscale, blur and CutMix, loss (L_s + L_u) / 2.
_base_ = [
    '../pseudoseg/_base_/models/deeplabv3plus_r101-os16.py',
    './_base_/voc_semi_views.py',
    '../pseudoseg/_base_/schedules/schedule_30k.py',
    '../pseudoseg/_base_/default_runtime.py'
]
model = dict(type='FixMatch', data_preprocessor=dict(type='SemiSegDataPreProcessor'),
             semi_train_cfg=dict(conf_thresh=0.95))
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[1].pipeline = _base_.fixmatch_extra_pipeline
custom_hooks = [dict(type='PseudoLabelHook', interval=500, num_panels=2),
                dict(type='ClassCountCheckHook')]
