# Your own data from folders (SemiFolderDataset, no subclass): labelled images +
# masks, unlabelled images, val images + masks, classes from `classes` or
# <data_root>/classes.txt (one per line, background first, optional "name R G B"):
#   <data_root>/labelled/images/<id>.jpg   labelled/masks/<id>.png (class indices,
#   grey or palette PNG, 255 = ignore)    unlabelled/images/<id>.jpg
#   val/images/<id>.jpg  val/masks/<id>.png
# A derived config sets data_root, classes and crop_size with dict keys (see
# configs/pseudoseg/deeplabv3plus_r101_folder_example.py). Batch: 8 labelled + 8
# unlabelled per GPU, as the VOC recipe.
_base_ = ['./pipelines.py']
data_root = 'data/my_dataset'
# Other GPU counts: keep GPUs x batch_size x optim_wrapper.accumulative_counts = 128
# and the schedule's lr (docs/training.md, "The rule for another GPU count").
train_dataloader = dict(
    batch_size=16,  # per GPU, = labelled_per_gpu + extra_per_gpu
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='SemiBatchSampler', labelled_per_gpu=8,
                       extra_per_gpu=8),
    dataset=dict(
        type='SemiFolderTrainDataset',  # ConcatDataset([labelled, extra])
        data_root=data_root,
        classes=None,        # None: read <data_root>/classes.txt
        crop_size=None,      # None: the pipelines' crop (513)
        labelled=dict(img_dir='labelled/images', mask_dir='labelled/masks',
                      ann_file='',  # or a split of tools/make_splits.py folder
                      pipeline=_base_.labelled_pipeline),
        # image-level tags instead: image_labels_file='tags.csv' here and
        # pipeline=extra_tags_pipeline, plus semi_train_cfg.use_image_labels=True
        # a large pool: ann_file='unlabelled.txt', img_suffix='.jpg' (no folder
        # scan), on_unreadable='skip' (docs/own_data.md, docs/bad_input.md)
        extra=dict(img_dir='unlabelled/images', mask_dir=None,
                   pipeline=_base_.extra_pipeline)))
# Extra images with image-level tags from a CSV/JSON file (no masks read).
extra_tags_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='GenerateValidityMap'),
    *_base_.weak_geometry,
    dict(type='MultiView', branch_field=_base_.branches,
         weak=[dict(type='PackSemiSegInputs')],
         strong=[*_base_.strong_view[:2], dict(type='ImageLevelLabels', source='file'),
                 _base_.strong_view[2]]),
]
auto_scale_lr = dict(enable=False, base_batch_size=128)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SemiFolderDataset',
        data_root=data_root,
        classes=None,
        img_dir='val/images',
        mask_dir='val/masks',
        test_mode=True,
        pipeline=_base_.val_pipeline))
test_dataloader = val_dataloader
