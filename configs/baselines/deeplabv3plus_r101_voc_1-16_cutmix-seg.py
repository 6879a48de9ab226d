# Model zoo: VOC 1/16 (16_clean_3), CutMix-Seg (its train_seg_semisup_mask_mt.py),
# ResNet-101.
# The Mean Teacher recipe with CutMix of two extra images and of their teacher
# predictions (one box of half the crop), no colour change, weight 1.0
# (docs/methods.md §3).
_base_ = ['./deeplabv3plus_r101_voc_1-16_mean-teacher.py']
model = dict(type='CutMixSeg', semi_train_cfg=dict(unsup_weight=1.0))
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[1].pipeline = _base_.cutmix_seg_extra_pipeline
