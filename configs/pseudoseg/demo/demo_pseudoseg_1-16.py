# Embedded demo (`make demo`), base of the 'PseudoSeg, extra unlabelled' row
# (demo_pseudoseg_1-16_ema-rampup adds two options) and itself the optional row
# 'PseudoSeg recipe settings' (tools/demo.py --optional): the headline VOC recipe
# (deeplabv3plus_r101_voc_1-16) scaled down for a 2-core CPU. Changed:
# backbone size (ResNetV1c-18, 32 base channels, random init: no downloads), crop
# 64 (CutOut 12 = 100/513 of it), batch 8 + 8 on one process, 1,200 iterations and
# lr 0.1 (from scratch), the decoder's BN momentum (0.05: the recipe's 0.0003, a
# ~3,300-iteration memory, would leave the running statistics of a 1,200-iteration
# run from random init near their initial values), and the data:
# tools/make_demo_data.py's 10-class set. Everything else (OS 16, SGC, fusion
# γ = T = 0.5, jitter, CutOut placement, BN and dropout of the ResNet path, schedule
# shape) is the recipe's.
_base_ = ['../deeplabv3plus_r101_voc_1-16.py']
DEMO_CLASSES = ('background', 'aeroplane', 'bottle', 'cat', 'diningtable',
                'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'tvmonitor')
metainfo = dict(classes=DEMO_CLASSES)  # VOC ids in the masks -> 0..10
data_root = 'data/demo_voc'
labelled_split = 'ImageSets/SegmentationSemi/1-16_seed1.txt'  # 64 of 1,024
crop_size = (64, 64)
base = 32
iters = 1200
model = dict(
    data_preprocessor=dict(size=crop_size, test_cfg=dict(size=(96, 128))),
    backbone=dict(depth=18, base_channels=base, stem_channels=base, init_cfg=None),
    decode_head=dict(in_channels=base * 8, channels=base * 4, c1_in_channels=base,
                     c1_channels=base, num_classes=len(DEMO_CLASSES),
                     norm_cfg=_base_.backbone_norm_cfg),
    sgc_head=dict(in_channels=(base, base * 2, base * 4, base * 8)))
branches = ['sup', 'weak', 'strong']
# Crops that have a label map retry up to 10 times when one class covers > 75 % of
# them (mmseg's VOC setting, the one the demo task was calibrated with:
# docs/demo_calibration.md); the extra images' crops stay plain random crops.
weak_geometry = [
    dict(type='RandomScaleStep', ratio_range=(0.5, 2.0), step=0.25),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
labelled_geometry = [weak_geometry[0],
                     dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
                     weak_geometry[2]]
strong_view = [
    dict(type='StrongColorJitter', preset='released'),
    dict(type='PaddedCutOut', crop_size=crop_size, box_size=(12, 12),
         fill_in=_base_.cutout_fill, seg_fill_in=255),
    dict(type='PackSemiSegInputs', seg_key='gt_valid_map'),
]
labelled = dict(
    type='SemiVOCDataset', data_root=data_root, metainfo=metainfo,
    ann_file=labelled_split, disjoint_from='ImageSets/Segmentation/val.txt',
    pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
              *labelled_geometry,
              dict(type='MultiView', branch_field=branches,
                   sup=[dict(type='PackSemiSegInputs')])])
extra = dict(
    type='SemiVOCDataset', data_root=data_root, metainfo=metainfo,
    ann_file='ImageSets/Segmentation/trainaug.txt', with_masks=False,
    disjoint_from='ImageSets/Segmentation/val.txt',
    pipeline=[dict(type='LoadImageFromFile'), dict(type='GenerateValidityMap'),
              *weak_geometry,
              dict(type='MultiView', branch_field=branches,
                   weak=[dict(type='PackSemiSegInputs')], strong=strong_view)])
# Loading in the training process (num_workers=0): the same batches as one worker
# (tests/test_demo_loader_workers.py) without a second process per training
# competing for the 2 cores.
train_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    batch_sampler=dict(labelled_per_gpu=8, extra_per_gpu=8),
    dataset=dict(datasets=[labelled, extra]))
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
custom_hooks = [dict(type='PseudoLabelHook', interval=400, num_panels=2),
                dict(type='ClassCountCheckHook')]
