# PASCAL VOC 2012 in the semi-supervised batch (docs/method.md §6): every per-GPU
# batch = 8 labelled + 8 extra images (SemiBatchSampler); on 8 GPUs that is the
# paper's 64 + 64 per step (4 + 4 on 16 GPUs in the paper). A batch_size that is not
# labelled_per_gpu + extra_per_gpu is an error. The train set is
# ConcatDataset([labelled, extra]); the configs on top (voc_semi_unlabelled.py,
# voc_self_training.py) append the extra set.
_base_ = ['./voc_supervised.py']
# Other GPU counts: keep GPUs x batch_size x optim_wrapper.accumulative_counts = 128
# and the schedule's lr (docs/training.md, "The rule for another GPU count").
train_dataloader = dict(
    batch_size=16,  # per GPU, = labelled_per_gpu + extra_per_gpu
    batch_sampler=dict(type='SemiBatchSampler', labelled_per_gpu=8,
                       extra_per_gpu=8),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',  # [labelled, extra]: the order SemiBatchSampler reads
        datasets=[_base_.train_dataloader.dataset]))
# mmengine's real batch = train_dataloader.batch_size x GPUs, which counts labelled
# AND extra images: 16 x 8 = 128 = the paper's 64 labelled + 64 extra at lr 0.007.
# (The paper quotes "batch 64", counting one source; the ratio is the same.) With
# auto_scale_lr.enable=True, 4 GPUs (8 + 8 each) would train at lr 0.0035.
auto_scale_lr = dict(enable=False, base_batch_size=128)
