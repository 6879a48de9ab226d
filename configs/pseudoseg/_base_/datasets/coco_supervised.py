# COCO 2017 as 81-class segmentation (80 things + background), labelled split only
# (supervised baselines; docs/method.md §6). Layout (tools/convert_coco_object.py,
# tools/make_splits.py coco --released):
#   data/coco/train2017, val2017 (images), masks/{train2017,val2017} (class PNGs),
#   ImageSets/{train2017,val2017}.txt, ImageSets/SegmentationSemi/1-32_seed1.txt ...
#   (the paper's lists, tools/make_splits.py coco --released; 1-32_seed1 = 32_all)
# The model needs num_classes=81 and the 641 eval crop (set by the COCO recipes).
_base_ = ['./pipelines.py']
dataset_type = 'SemiCOCOObjectDataset'
data_root = 'data/coco'
labelled_split = 'ImageSets/SegmentationSemi/1-32_seed1.txt'
val_split = 'ImageSets/val2017.txt'
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
# lr scaling when enabled: (8 x GPUs) / 64 (see voc_supervised.py).
auto_scale_lr = dict(enable=False, base_batch_size=64)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file=val_split,
        test_mode=True,
        pipeline=_base_.val_pipeline))
test_dataloader = val_dataloader
