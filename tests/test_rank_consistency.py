"""What every rank of a 2-process run holds after training (docs/training.md,
"Several processes").

* Parameters: identical on every rank (DDP averages the gradients, every rank takes
  the same optimizer step), student and EMA teacher alike.
* BatchNorm running statistics of a plain run: rank-local. Each rank updates them
  from its own batch; DDP (``broadcast_buffers=True``) copies rank 0's over the
  others only at the start of the next forward, so after the last step rank 1
  holds statistics that rank 0 (the checkpoint) does not.
* With the EMA teacher, ``EMATeacherHook`` broadcasts the student's buffers from
  rank 0 before each teacher update, so the teacher is moved from the same student
  on every rank: student and teacher, parameters and buffers, are bit-identical
  across ranks, and equal to the checkpoint rank 0 saved.

Each rank writes its final model state (``tests/rank_state_dump.py``); 2 gloo
processes through ``tools/dist_train.sh``, 3 iterations of the tiny recipe.
"""
import pytest
import torch

from dist_runs import differing, model_tensors, train_nodes, write_config

COMMON = """
custom_imports = dict(imports=['mmseg_pseudoseg', 'rank_state_dump'],
                      allow_failed_imports=False)
train_cfg = dict(max_iters=3, val_interval=100)
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=3,
                        by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=3))
"""
EMA = COMMON + """
model = dict(semi_train_cfg=dict(teacher='ema'))
custom_hooks = [dict(type='EMATeacherHook', momentum=0.1),
                dict(type='RankStateDumpHook')]
"""
PLAIN = COMMON + """
custom_hooks = [dict(type='RankStateDumpHook')]
"""


def _is_buffer(name):
    return name.rsplit('.', 1)[-1] in ('running_mean', 'running_var',
                                       'num_batches_tracked')


def _two_ranks(tmp_path, voc_root, extra):
    config = write_config(tmp_path / 'cfg.py', voc_root, extra)
    work = str(tmp_path / 'work')
    train_nodes(config, work, nnodes=1, gpus=2)
    ranks = [model_tensors(f'{work}/rank{r}_state.pth') for r in (0, 1)]
    return ranks, model_tensors(f'{work}/iter_3.pth')


@pytest.mark.slow
def test_ema_teacher_and_student_buffers_agree_across_ranks(voc_root, tmp_path):
    (rank0, rank1), ckpt = _two_ranks(tmp_path, voc_root, EMA)
    teacher = sorted(k for k in rank0 if k.startswith('ema_teacher.'))
    student_buffers = sorted(k for k in rank0 if _is_buffer(k) and
                             not k.startswith('ema_teacher.'))
    assert teacher and student_buffers
    assert differing(rank0, rank1) == []  # every parameter and buffer
    assert differing(rank0, ckpt) == []  # what rank 0 saved is what every rank has
    # the teacher copies the student's buffers and averages its parameters
    for name in teacher:
        student = rank0[name[len('ema_teacher.'):]]
        if _is_buffer(name):
            assert torch.equal(rank0[name], student), name
    weights = [k for k in teacher if not _is_buffer(k)]
    moved = [k for k in weights
             if not torch.equal(rank0[k], rank0[k[len('ema_teacher.'):]])]
    assert len(moved) > len(weights) // 2  # m = 0.1: the teacher lags the student
    # the statistics did move (3 steps, BN momentum 0.05 or more)
    assert any(not torch.equal(rank0[k], torch.zeros_like(rank0[k]))
               for k in student_buffers if k.endswith('running_mean'))


@pytest.mark.slow
def test_plain_run_keeps_rank_local_bn_statistics(voc_root, tmp_path):
    """Without the teacher nothing broadcasts after the last step: parameters agree,
    rank 1's BN statistics are its own (the checkpoint holds rank 0's)."""
    (rank0, rank1), ckpt = _two_ranks(tmp_path, voc_root, PLAIN)
    params = [k for k in rank0 if not _is_buffer(k)]
    assert [k for k in params if not torch.equal(rank0[k], rank1[k])] == []
    stats = [k for k in rank0 if k.endswith(('running_mean', 'running_var'))]
    local = [k for k in stats if not torch.equal(rank0[k], rank1[k])]
    assert len(local) > len(stats) // 2
    assert differing(rank0, ckpt) == []
