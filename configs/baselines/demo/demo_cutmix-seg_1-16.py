# Demo row 'CutMix-Seg, extra unlabelled' (tools/demo.py --compare): the Mean Teacher
# demo row with CutMix-Seg's step (deeplabv3plus_r101_voc_1-16_cutmix-seg.py,
# docs/methods.md §3): CutMix of two extra images and of their teacher predictions
# (one box of half the crop, always), no colour change, weight 1.0.
_base_ = ['./demo_mean-teacher_1-16.py']
model = dict(type='CutMixSeg', semi_train_cfg=dict(unsup_weight=1.0))
cutmix_meta_keys = ('img_path', 'seg_map_path', 'img_id', 'ori_shape', 'img_shape',
                    'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                    'reduce_zero_label', 'branch', 'cutmix_box')
strong_view = [
    dict(type='RandomCutMixBox', crop_size=_base_.crop_size, style='cutmix_seg',
         prop_range=(0.5, 0.5)),
    dict(type='PackSemiSegInputs', seg_key='gt_valid_map', meta_keys=cutmix_meta_keys),
]
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[1].pipeline[-1] = dict(
    type='MultiView', branch_field=_base_.branches,
    weak=[dict(type='PackSemiSegInputs')], strong=strong_view)
