# Demo row 'FixMatch, extra unlabelled' (tools/demo.py --compare): the demo's data,
# model, batch, schedule and random initialisation (demo_pseudoseg_1-16.py) with the
# FixMatch recipe's step (deeplabv3plus_r101_voc_1-16_fixmatch.py) at its authors'
# defaults (docs/methods.md §4): the model itself as teacher, hard labels above
# 0.95, strong view with jitter, grayscale, blur and a CutMix box (p 0.5) at the
# demo's crop, loss (L_s + L_u) / 2, no ramp-up.
_base_ = ['../../pseudoseg/demo/demo_pseudoseg_1-16.py']
model = _base_.model  # edit the inherited dict in place
model.pop('sgc_head')
model.pop('pseudo_labeler')
model.type = 'FixMatch'
model.semi_train_cfg = dict(conf_thresh=0.95)
cutmix_meta_keys = ('img_path', 'seg_map_path', 'img_id', 'ori_shape', 'img_shape',
                    'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                    'reduce_zero_label', 'branch', 'cutmix_box')
strong_view = [
    dict(type='PILColorJitter', brightness=0.5, contrast=0.5, saturation=0.5,
         hue=0.25, prob=0.8, gray_prob=0.2),
    dict(type='RandomGaussianBlur', prob=0.5, sigma_range=(0.1, 2.0)),
    dict(type='RandomCutMixBox', crop_size=_base_.crop_size, style='unimatch',
         prob=0.5),
    dict(type='PackSemiSegInputs', seg_key='gt_valid_map', meta_keys=cutmix_meta_keys),
]
train_dataloader = _base_.train_dataloader
train_dataloader.dataset.datasets[1].pipeline[-1] = dict(
    type='MultiView', branch_field=_base_.branches,
    weak=[dict(type='PackSemiSegInputs')], strong=strong_view)
custom_hooks = [dict(type='PseudoLabelHook', interval=400, num_panels=2),
                dict(type='ClassCountCheckHook')]
