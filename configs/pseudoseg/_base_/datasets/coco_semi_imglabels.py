# COCO 2017, labelled split + the rest of train2017 with image-level labels (class
# sets of the strong crops, read from the converted masks; docs/method.md §2, §6).
_base_ = ['./coco_semi_unlabelled.py']
train_dataloader = _base_.train_dataloader  # edit the inherited one (lists are replaced)
train_dataloader.dataset.datasets[1].update(
    with_masks=True, pipeline=_base_.extra_imglabels_pipeline)
