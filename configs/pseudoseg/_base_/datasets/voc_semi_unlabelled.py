# PASCAL VOC 2012, labelled split + extra images without labels (docs/method.md §6).
# The extra set is train_aug (10,582 ids, which contains the labelled ids, as the released
# code's `train_split_cls=train_aug`); its masks are never read.
# Batch: 8 labelled + 8 extra images per GPU (see voc_semi_batch.py).
_base_ = ['./voc_semi_batch.py']
extra_split = 'ImageSets/Segmentation/trainaug.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].pipeline = _base_.labelled_pipeline
train_dataloader.dataset.datasets.append(
    dict(type=_base_.dataset_type,
         data_root=_base_.data_root,
         ann_file=extra_split,
         with_masks=False,
         disjoint_from=_base_.val_split,
         pipeline=_base_.extra_pipeline))
