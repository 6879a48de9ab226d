# PASCAL VOC 2012, labelled split + extra images with image-level labels (docs/method.md
# §2, §6): the extra train_aug images' class sets come from their masks, per strong crop
# after CutOut; the segmentor needs semi_train_cfg.use_image_labels=True.
_base_ = ['./voc_semi_unlabelled.py']
train_dataloader = _base_.train_dataloader  # edit the inherited one (lists are replaced)
train_dataloader.dataset.datasets[1].update(
    with_masks=True, pipeline=_base_.extra_imglabels_pipeline)
