# High-data setting (paper Table 7, docs/method.md §6): the 1,464 pixel-labelled VOC
# train images + COCO images as extra data without labels; evaluation on VOC val.
# `extra_split` names the COCO set of a Table 7 column (default: train2017, 118,287
# images). The COCO images are read without masks, so their class list does not
# matter: ConcatDataset keeps VOC's metainfo (`ignore_keys`).
# Batch (8 + 8 per GPU) and auto_scale_lr: those of voc_semi_unlabelled.py.
_base_ = ['./voc_semi_unlabelled.py']
coco_root = 'data/coco'
labelled_split = 'ImageSets/Segmentation/train.txt'
extra_split = 'ImageSets/train2017.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.ignore_keys = ['classes', 'palette']
train_dataloader.dataset.datasets[0].ann_file = labelled_split
train_dataloader.dataset.datasets[1] = dict(
    type='SemiCOCOObjectDataset',
    data_root=coco_root,
    ann_file=extra_split,
    with_masks=False,
    pipeline=_base_.extra_pipeline)
