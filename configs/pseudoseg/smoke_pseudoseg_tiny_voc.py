# Model zoo: plumbing test, PseudoSeg on a tiny VOC tree; no paper number.
# Plumbing smoke test with PseudoSeg (integration skeleton): the headline
# recipe (deeplabv3plus_r101_voc_1-16) with a tiny ResNetV1c-18, crop 32, batch 2 + 2
# and 2 iterations, on a tiny VOC-format tree (point data_root at it).
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
data_root = 'data/tiny_voc'
crop_size = (32, 32)
model = dict(
    data_preprocessor=dict(size=crop_size, test_cfg=dict(size=(80, 80))),
    backbone=dict(depth=18, base_channels=8, stem_channels=8, init_cfg=None),
    decode_head=dict(in_channels=64, channels=16, c1_in_channels=8, c1_channels=8),
    sgc_head=dict(in_channels=(8, 16, 32, 64), attention_dim=16))
weak_geometry = [
    dict(type='RandomScaleStep', ratio_range=(0.5, 1.0), step=0.25),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
strong_view = [
    dict(type='StrongColorJitter', preset='released'),
    dict(type='RandomCutOut', prob=1.0, n_holes=1, cutout_shape=(8, 8),
         fill_in=(104, 116, 124), seg_fill_in=255),
    dict(type='PackSemiSegInputs', seg_key='gt_valid_map'),
]
branches = ['sup', 'weak', 'strong']
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    batch_sampler=dict(labelled_per_gpu=2, extra_per_gpu=2),
    dataset=dict(datasets=[
        dict(type='SemiVOCDataset', data_root=data_root,
             ann_file='ImageSets/Segmentation/train.txt',
             disjoint_from='ImageSets/Segmentation/val.txt',
             pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                       *weak_geometry,
                       dict(type='MultiView', branch_field=branches,
                            sup=[dict(type='PackSemiSegInputs')])]),
        dict(type='SemiVOCDataset', data_root=data_root,
             ann_file='ImageSets/Segmentation/trainaug.txt', with_masks=False,
             disjoint_from='ImageSets/Segmentation/val.txt',
             pipeline=[dict(type='LoadImageFromFile'),
                       dict(type='GenerateValidityMap'), *weak_geometry,
                       dict(type='MultiView', branch_field=branches,
                            weak=[dict(type='PackSemiSegInputs')],
                            strong=strong_view)]),
    ]))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=2)
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=2,
                        by_epoch=False)]
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2, save_best=None))
custom_hooks = [dict(type='PseudoLabelHook', interval=1, num_panels=1),
                dict(type='ClassCountCheckHook')]
