# Model zoo: VOC 1/16 (16_clean_3), UniMatch (its unimatch.py), ResNet-101.
# The FixMatch recipe with a second strong view (branch strong2) and the
# feature-perturbed decoder pass; loss (L_s + 0.25 L_s1 + 0.25 L_s2 + 0.5 L_fp) / 2
# (docs/methods.md §5).
_base_ = ['./deeplabv3plus_r101_voc_1-16_fixmatch.py']
model = dict(type='UniMatch')
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].pipeline = _base_.unimatch_labelled_pipeline
train_dataloader.dataset.datasets[1].pipeline = _base_.unimatch_extra_pipeline
