# High-data setting (paper Table 7, docs/method.md §6): the 1,464 pixel-labelled VOC
# train images + COCO images as extra data without labels; evaluation on VOC val.
# `extra_split` names the COCO set of a Table 7 column (default: train2017, 118,287
# images). The COCO images are read without masks, so their class list does not
# matter: ConcatDataset keeps VOC's metainfo (`ignore_keys`).
_base_ = ['./voc_supervised.py']
coco_root = 'data/coco'
labelled_split = 'ImageSets/Segmentation/train.txt'
extra_split = 'ImageSets/train2017.txt'
train_dataloader = dict(
    batch_size=16,  # per GPU, = labelled_per_gpu + extra_per_gpu
    batch_sampler=dict(type='SemiBatchSampler', labelled_per_gpu=8,
                       extra_per_gpu=8),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        ignore_keys=['classes', 'palette'],
        datasets=[
            dict(_base_.train_dataloader.dataset,
                 ann_file=labelled_split,
                 pipeline=_base_.labelled_pipeline),
            dict(type='SemiCOCOObjectDataset',
                 data_root=coco_root,
                 ann_file=extra_split,
                 with_masks=False,
                 pipeline=_base_.extra_pipeline),
        ]))
auto_scale_lr = dict(enable=False, base_batch_size=128)  # 16 x 8 GPUs
