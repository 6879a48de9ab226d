# Embedded demo, base of the 'PseudoSeg, extra image-level labels' row
# (demo_pseudoseg_1-16_imglabels_ema-rampup) and itself an optional row (recipe
# settings, tools/demo.py --optional): demo_pseudoseg_1-16 with
# the image-level recipe's change (deeplabv3plus_r101_voc_1-16_imglabels): class sets
# of the strong crops (after CutOut) from the extra images' masks, which also train
# the classifier (L_x, docs/method.md §1).
_base_ = ['./demo_pseudoseg_1-16.py']
model = dict(semi_train_cfg=dict(use_image_labels=True))
extra = dict(
    type='SemiVOCDataset', data_root=_base_.data_root, metainfo=_base_.metainfo,
    ann_file='ImageSets/Segmentation/trainaug.txt',
    disjoint_from='ImageSets/Segmentation/val.txt',
    pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
              dict(type='GenerateValidityMap'), *_base_.weak_geometry,
              dict(type='MultiView', branch_field=_base_.branches,
                   weak=[dict(type='PackSemiSegInputs')],
                   strong=[_base_.strong_view[0], _base_.strong_view[1],
                           dict(type='ImageLevelLabels'), _base_.strong_view[2]])])
train_dataloader = dict(dataset=dict(datasets=[_base_.labelled, extra]))
