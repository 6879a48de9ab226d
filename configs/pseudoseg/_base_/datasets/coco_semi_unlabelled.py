# COCO 2017, labelled split + the rest of train2017 without labels (docs/method.md §6).
# Batch 8 labelled + 8 extra per GPU (see voc_semi_unlabelled.py).
_base_ = ['./coco_supervised.py']
extra_split = 'ImageSets/train2017.txt'
# Other GPU counts: keep GPUs x batch_size x optim_wrapper.accumulative_counts = 128
# and the schedule's lr (docs/training.md, "The rule for another GPU count").
train_dataloader = dict(
    batch_size=16,  # per GPU, = labelled_per_gpu + extra_per_gpu
    batch_sampler=dict(type='SemiBatchSampler', labelled_per_gpu=8,
                       extra_per_gpu=8),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',  # [labelled, extra]: the order SemiBatchSampler reads
        datasets=[
            dict(_base_.train_dataloader.dataset,
                 pipeline=_base_.labelled_pipeline),
            dict(type=_base_.dataset_type,
                 data_root=_base_.data_root,
                 ann_file=extra_split,
                 exclude_split=_base_.labelled_split,  # "the rest" is extra
                 with_masks=False,
                 disjoint_from=_base_.val_split,
                 pipeline=_base_.extra_pipeline),
        ]))
# Real batch = 16 x GPUs (labelled + extra): 128 on 8 GPUs = the paper's 64 + 64.
auto_scale_lr = dict(enable=False, base_batch_size=128)
