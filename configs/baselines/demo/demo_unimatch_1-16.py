# Demo row 'UniMatch, extra unlabelled' (tools/demo.py --compare): the FixMatch demo
# row with UniMatch's step (deeplabv3plus_r101_voc_1-16_unimatch.py, docs/methods.md
# §5): a second strong view (branch strong2) and the feature-perturbed decoder pass,
# loss (L_s + 0.25 L_s1 + 0.25 L_s2 + 0.5 L_fp) / 2.
_base_ = ['./demo_fixmatch_1-16.py']
model = dict(type='UniMatch')
branches = ['sup', 'weak', 'strong', 'strong2']
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].pipeline[-1] = dict(
    type='MultiView', branch_field=branches, sup=[dict(type='PackSemiSegInputs')])
train_dataloader.dataset.datasets[1].pipeline[-1] = dict(
    type='MultiView', branch_field=branches, weak=[dict(type='PackSemiSegInputs')],
    strong=_base_.strong_view, strong2=_base_.strong_view)
