# Pieces of the baselines' plumbing smoke configs (smoke_*_tiny_voc.py): a tiny
# ResNetV1c-18 DeepLabv3+, crop 32, batch 2 + 2, 2 iterations, on a tiny
# VOC-format tree (point data_root at it). Only names of its own, so a smoke config
# can inherit it beside its recipe.
smoke_root = 'data/tiny_voc'
smoke_crop = (32, 32)
smoke_model = dict(
    data_preprocessor=dict(size=smoke_crop, test_cfg=dict(size=(80, 80))),
    backbone=dict(depth=18, base_channels=8, stem_channels=8, init_cfg=None),
    decode_head=dict(in_channels=64, channels=16, c1_in_channels=8, c1_channels=8))
smoke_geometry = [
    dict(type='RandomScaleStep', ratio_range=(0.5, 1.0), step=0.25),
    dict(type='RandomCrop', crop_size=smoke_crop, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
smoke_box = dict(type='RandomCutMixBox', crop_size=smoke_crop)
smoke_sets = [
    dict(type='SemiVOCDataset', data_root=smoke_root,
         ann_file='ImageSets/Segmentation/train.txt',
         disjoint_from='ImageSets/Segmentation/val.txt'),
    dict(type='SemiVOCDataset', data_root=smoke_root,
         ann_file='ImageSets/Segmentation/trainaug.txt', with_masks=False,
         disjoint_from='ImageSets/Segmentation/val.txt'),
]
smoke_labelled_head = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                       *smoke_geometry]
smoke_extra_head = [dict(type='LoadImageFromFile'), dict(type='GenerateValidityMap'),
                    *smoke_geometry]
smoke_train_cfg = dict(max_iters=2, val_interval=2)
smoke_param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=2,
                              by_epoch=False)]
smoke_default_hooks = dict(logger=dict(interval=1),
                           checkpoint=dict(interval=2, save_best=None))
smoke_val_dataloader = dict(num_workers=0, persistent_workers=False,
                            dataset=dict(data_root=smoke_root))
smoke_loader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                    batch_sampler=dict(labelled_per_gpu=2, extra_per_gpu=2))
# pseudo-label diagnostics every iteration (replacing the recipe's last two hooks)
smoke_hooks = [dict(type='PseudoLabelHook', interval=1, num_panels=1),
               dict(type='ClassCountCheckHook')]
