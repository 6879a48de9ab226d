# Model zoo: plumbing test, UniMatch on a tiny VOC tree; no paper number.
# The FixMatch plumbing test with the UniMatch recipe's step
# (deeplabv3plus_r101_voc_1-16_unimatch.py): segmentor and a second strong view
# (branch strong2) in every sample.
_base_ = ['./smoke_fixmatch_tiny_voc.py']
model = dict(type='UniMatch')
branches = _base_.unimatch_branches
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
labelled, extra = train_dataloader.dataset.datasets
labelled.pipeline[-1].branch_field = branches
extra.pipeline[-1].update(branch_field=branches, strong2=_base_.strong_view)
