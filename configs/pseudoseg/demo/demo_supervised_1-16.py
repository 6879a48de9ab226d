# Embedded demo, row 'supervised baseline': the 1/16 supervised recipe
# (deeplabv3plus_r101_voc_1-16_supervised) scaled down exactly as demo_pseudoseg_1-16:
# the same model without SGC, the same labelled split, crop, schedule; batch 8 labelled.
_base_ = ['../deeplabv3plus_r101_voc_1-16_supervised.py']
DEMO_CLASSES = ('background', 'aeroplane', 'bottle', 'cat', 'diningtable',
                'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'tvmonitor')
metainfo = dict(classes=DEMO_CLASSES)
data_root = 'data/demo_voc'
labelled_split = 'ImageSets/SegmentationSemi/1-16_seed1.txt'
crop_size = (64, 64)
base = 32
iters = 1200
model = dict(
    data_preprocessor=dict(size=crop_size, test_cfg=dict(size=(96, 128))),
    backbone=dict(depth=18, base_channels=base, stem_channels=base, init_cfg=None),
    decode_head=dict(in_channels=base * 8, channels=base * 4, c1_in_channels=base,
                     c1_channels=base, num_classes=len(DEMO_CLASSES),
                     norm_cfg=_base_.backbone_norm_cfg))  # as demo_pseudoseg_1-16
weak_geometry = [
    dict(type='RandomScaleStep', ratio_range=(0.5, 2.0), step=0.25),
    # as demo_pseudoseg_1-16's labelled crops
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
]
train_dataloader = dict(  # loading in the training process: as demo_pseudoseg_1-16
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, ann_file=labelled_split,
                 pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                           *weak_geometry, dict(type='PackSegInputs')]))
val_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 data_prefix=dict(seg_map_path='SegmentationClass')))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=0.1))
train_cfg = dict(max_iters=iters, val_interval=iters)
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=iters,
                        by_epoch=False)]
default_hooks = dict(logger=dict(interval=100),
                     checkpoint=dict(interval=iters, save_best=None))
