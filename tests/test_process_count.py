"""The same update at any process count (docs/training.md, "The same run at any
process count").

One process with ``optim_wrapper.accumulative_counts=2`` and 2 gloo processes
(``tools/dist_train.sh``) with none, both 2 labelled + 2 extra images per process
and step, same seed: 4 + 4 images per update. ``SemiBatchSampler`` gives rank ``r``
of ``W`` chunk ``bW + r`` of each image stream at step ``b``, so the two ranks'
batches are the one process's two micro-batches, in order. The gradient of the
update is the mean of the two micro-batch gradients in both runs (accumulation
scales each loss by 1/2; DDP averages), so the parameters after the first update
agree to float rounding (bit for bit here: halving is exact and two summands add
alike in either order).

What stays different, and is kept out of this comparison:

* BatchNorm running statistics: one process updates them in both micro-steps, the
  two processes once each from their own micro-batch, and DDP keeps rank 0's
  (asserted below through ``num_batches_tracked``). Normalisation uses each
  micro-batch's own statistics in both runs; SyncBN would normalise over both
  ranks' images and so differ from accumulation.
* What reads those statistics inside a step: the recipe's inference-mode CAM pass
  (``cam_pass='eval'``) sees, in the second micro-step, statistics the first one
  moved; here ``cam_pass='shared'``.
* Random draws (augmentation, dropout) come from each process's generators: the
  second micro-step continues the one process's streams, rank 1 starts its own. Here
  the pipeline is deterministic (resize to the crop size, no jitter or CutOut) and
  the decoder dropout is 0.
* Iteration-based schedules: the accumulating run counts every micro-step, so the
  schedule is stretched; the learning rate is constant here.
"""
import os.path as osp

import pytest
import torch

from dist_runs import model_tensors, train_nodes, train_single, write_config

DETERMINISTIC = """
geometry = [dict(type='Resize', scale=(32, 32), keep_ratio=False)]
train_dataloader = dict(dataset=dict(datasets=[
    dict(sets[0], data_root=data_root, pipeline=[
        dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), *geometry,
        dict(type='MultiView', branch_field=_base_.branches,
             sup=[dict(type='PackSemiSegInputs')])]),
    dict(sets[1], data_root=data_root, pipeline=[
        dict(type='LoadImageFromFile'), dict(type='GenerateValidityMap'), *geometry,
        dict(type='MultiView', branch_field=_base_.branches,
             weak=[dict(type='PackSemiSegInputs')],
             strong=[dict(type='PackSemiSegInputs', seg_key='gt_valid_map')])])]))
model = dict(decode_head=dict(dropout_ratio=0.0),
             semi_train_cfg=dict(cam_pass='shared'))
param_scheduler = []
train_cfg = dict(val_interval=100)
default_hooks = dict(checkpoint=dict(interval=1))
"""


def _is_buffer(name):
    return name.rsplit('.', 1)[-1] in ('running_mean', 'running_var',
                                       'num_batches_tracked')


@pytest.mark.slow
def test_two_processes_equal_one_process_accumulating_two(voc_root, tmp_path):
    config = write_config(tmp_path / 'cfg.py', voc_root, DETERMINISTIC)
    one, two = str(tmp_path / 'one'), str(tmp_path / 'two')
    train_single(config, one, ['--cfg-options', 'train_cfg.max_iters=2',
                               'optim_wrapper.accumulative_counts=2'])
    train_nodes(config, two, nnodes=1, gpus=2,
                args=['--cfg-options', 'train_cfg.max_iters=1'])
    before = model_tensors(osp.join(one, 'iter_1.pth'))  # no update yet
    accumulated = model_tensors(osp.join(one, 'iter_2.pth'))
    parallel = model_tensors(osp.join(two, 'iter_1.pth'))
    assert accumulated.keys() == parallel.keys()
    params = [k for k in accumulated if not _is_buffer(k)]
    step = max((accumulated[k] - before[k]).abs().max().item() for k in params)
    assert step > 1e-3  # the update moved the weights
    for name in params:
        torch.testing.assert_close(accumulated[name], parallel[name], rtol=1e-5,
                                   atol=1e-6 * step, msg=name)
    # BN statistics: the accumulating process counted both micro-steps
    counters = [k for k in accumulated if k.endswith('num_batches_tracked')]
    assert all(parallel[k].item() > 0 for k in counters if k.startswith('backbone.'))
    for name in counters:
        assert accumulated[name].item() == 2 * parallel[name].item(), name
