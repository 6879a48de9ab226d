# PASCAL VOC 2012, labelled split only (supervised baselines; docs/method.md §6).
# Layout (tools/convert_voc_aug.py, tools/make_splits.py):
#   data/VOCdevkit/VOC2012/JPEGImages, SegmentationClass (val masks),
#   SegmentationClassAug (train/train_aug masks), ImageSets/Segmentation/*.txt,
#   ImageSets/SegmentationSemi/1-16_seed1.txt ... (labelled splits: the paper's
#   lists, tools/make_splits.py voc --released; 1-16_seed1 = 16_clean_3)
# Batch: 8 labelled images per GPU; 8 GPUs = the paper's 64 labelled per step.
_base_ = ['./pipelines.py']
dataset_type = 'SemiVOCDataset'
data_root = 'data/VOCdevkit/VOC2012'
labelled_split = 'ImageSets/SegmentationSemi/1-16_seed1.txt'
val_split = 'ImageSets/Segmentation/val.txt'
# Other GPU counts: keep GPUs x batch_size x optim_wrapper.accumulative_counts = 64
# and the schedule's lr (docs/training.md, "The rule for another GPU count").
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='SemiBatchSampler', labelled_per_gpu=8,
                       extra_per_gpu=0),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=labelled_split,
        disjoint_from=val_split,  # error if a labelled id is a val id
        pipeline=_base_.sup_pipeline))
# mmengine scales lr by (train_dataloader.batch_size x GPUs) / base_batch_size when
# enabled (--cfg-options auto_scale_lr.enable=True): 8 x 8 GPUs = 64 = lr 0.007.
auto_scale_lr = dict(enable=False, base_batch_size=64)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=val_split,
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
        test_mode=True,
        pipeline=_base_.val_pipeline))
test_dataloader = val_dataloader
