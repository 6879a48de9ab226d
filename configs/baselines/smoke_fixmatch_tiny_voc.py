# Model zoo: plumbing test, FixMatch on a tiny VOC tree; no paper number.
# The FixMatch recipe (deeplabv3plus_r101_voc_1-16_fixmatch.py) with a tiny
# ResNetV1c-18, crop 32, batch 2 + 2 and 2 iterations (_base_/smoke_tiny_voc.py).
_base_ = ['./deeplabv3plus_r101_voc_1-16_fixmatch.py', './_base_/smoke_tiny_voc.py']
model = _base_.smoke_model
branches = ['sup', 'weak', 'strong']
strong_view = [*_base_.unimatch_strong_view[:2],
               dict(_base_.smoke_box, style='unimatch'), _base_.pack_strong]
labelled = dict(_base_.smoke_sets[0], pipeline=[
    *_base_.smoke_labelled_head,
    dict(type='MultiView', branch_field=branches,
         sup=[dict(type='PackSemiSegInputs')])])
extra = dict(_base_.smoke_sets[1], pipeline=[
    *_base_.smoke_extra_head,
    dict(type='MultiView', branch_field=branches, weak=[dict(type='PackSemiSegInputs')],
         strong=strong_view)])
train_dataloader = dict(_base_.smoke_loader,
                        dataset=dict(datasets=[labelled, extra]))
val_dataloader = _base_.smoke_val_dataloader
test_dataloader = val_dataloader
train_cfg = _base_.smoke_train_cfg
param_scheduler = _base_.smoke_param_scheduler
default_hooks = _base_.smoke_default_hooks
custom_hooks = [*_base_.custom_hooks[:-2], *_base_.smoke_hooks]
