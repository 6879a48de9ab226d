# Model zoo: plumbing test, CutMix-Seg on a tiny VOC tree; no paper number.
# The Mean Teacher plumbing test with the CutMix-Seg recipe's step
# (deeplabv3plus_r101_voc_1-16_cutmix-seg.py): segmentor, weight 1.0 and the
# strong view's CutMix box at the tiny crop.
_base_ = ['./smoke_mean-teacher_tiny_voc.py']
model = dict(type='CutMixSeg', semi_train_cfg=dict(unsup_weight=1.0))
strong_view = [dict(_base_.smoke_box, style='cutmix_seg'), _base_.pack_strong]
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[1].pipeline[-1].strong = strong_view
