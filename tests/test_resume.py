"""Exact resume: N iterations straight equal N/2 iterations plus ``--resume`` to N.

Bit-identical in every parameter, buffer and optimizer state, with dropout on, so
the random draws of every training step must replay. ``RNGStateHook`` keeps every
rank's generator states in the checkpoint; the data loader's fast-forward replays
the batches.

* A real mmengine ``Runner`` in this process: a model with dropout on data whose
  "augmentation" draws from numpy and Python's ``random`` in the loader (the
  ``num_workers=0`` case, where the fast-forward itself replays those generators).
* The PseudoSeg recipes through ``tools/train.py`` (tiny model, tiny VOC tree): one
  case per entry of ``RECIPES``, each a config override on top of the tiny
  PseudoSeg config; a 2-process gloo run through ``tools/dist_train.sh``.
"""
import os
import os.path as osp
import random
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from torch.utils.data import Dataset

import mmseg_pseudoseg  # noqa: F401  (registers; weights-only checkpoint fixes)
from mmseg_pseudoseg.engine.hooks.rng_state_hook import (CHECKPOINT_KEY,
                                                         capture_rng_state,
                                                         restore_rng_state)

SEMI_SMOKE = 'configs/pseudoseg/smoke_pseudoseg_tiny_voc.py'


def _draws():
    return (torch.rand(3).tolist(), np.random.rand(3).tolist(),
            np.random.randn(1).tolist(), [random.random() for _ in range(3)],
            [random.gauss(0, 1)])


def _allowed_globals():
    return {f'{g.__module__}.{g.__qualname__}'
            for g in torch.serialization.get_safe_globals()
            if hasattr(g, '__qualname__')}


def test_states_round_trip_through_a_weights_only_file(tmp_path):
    np.random.randn()  # leaves a cached Gaussian in numpy's state
    random.gauss(0, 1)  # and in Python's
    state = capture_rng_state()
    path = str(tmp_path / 'states.pth')
    torch.save({CHECKPOINT_KEY: [state]}, path)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(path) == []
    expected = _draws()
    _draws()
    restore_rng_state(torch.load(path, weights_only=True)[CHECKPOINT_KEY][0])
    assert _draws() == expected


# --- a real Runner in this process ----------------------------------------------
class JitteredData(Dataset):
    """Index ``i`` -> features ``i / 13 + noise``; the noise is drawn from numpy and
    Python's ``random`` when the sample is loaded (like an augmentation)."""

    def __len__(self):
        return 13

    def __getitem__(self, index):
        noise = np.random.rand(4) + random.random()
        return dict(inputs=torch.tensor(index / 13 + noise, dtype=torch.float32))


class DropoutModel(BaseModel):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.5),
                                       torch.nn.Linear(8, 1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.net(torch.stack(inputs))
        return dict(loss=(out ** 2).mean())


def _runner(work_dir, max_iters, resume=False, with_hook=True):
    init_default_scope('mmseg')
    hooks = dict(checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False),
                 logger=dict(type='LoggerHook', interval=100))
    if with_hook:
        hooks['rng_state'] = dict(type='RNGStateHook')
    torch.manual_seed(0)  # the model is built before the Runner seeds
    return Runner(
        model=DropoutModel(), work_dir=work_dir,
        train_dataloader=dict(dataset=JitteredData(), batch_size=2, num_workers=0,
                              sampler=dict(type='InfiniteSampler', shuffle=True),
                              collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=False, max_iters=max_iters, val_interval=1000),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        default_hooks=hooks, randomness=dict(seed=7), default_scope='mmseg',
        resume=resume)


def _tensors(ckpt_path):
    """Every tensor of the model and the optimizer in a checkpoint, by name."""
    ckpt = torch.load(ckpt_path, map_location='cpu', weights_only=True)
    out = {f'model/{k}': v for k, v in ckpt['state_dict'].items()}
    for pid, state in ckpt['optimizer']['state'].items():
        for key, value in state.items():
            out[f'optimizer/{pid}/{key}'] = torch.as_tensor(value)
    for k, group in enumerate(ckpt['optimizer']['param_groups']):
        out[f'optimizer/group{k}/lr'] = torch.tensor(group['lr'])
    return out


def _differing(first, second):
    assert first.keys() == second.keys()
    assert all(torch.isfinite(v).all() for v in first.values())
    return sorted(k for k in first if not torch.equal(first[k], second[k]))


@pytest.mark.parametrize('with_hook', [True, False], ids=['hook', 'no_hook'])
def test_resumed_runner_equals_the_straight_run(tmp_path, with_hook):
    _runner(str(tmp_path / 'straight'), 6, with_hook=with_hook).train()
    _runner(str(tmp_path / 'resumed'), 3, with_hook=with_hook).train()
    _runner(str(tmp_path / 'resumed'), 6, resume=True, with_hook=with_hook).train()
    straight = _tensors(str(tmp_path / 'straight' / 'iter_6.pth'))
    resumed = _tensors(str(tmp_path / 'resumed' / 'iter_6.pth'))
    if with_hook:
        assert _differing(straight, resumed) == []
    else:  # control: without the saved states the dropout masks differ
        assert _differing(straight, resumed)


# --- the PseudoSeg recipes through tools/train.py ---------------------------------
# Each case: config text on top of COMMON (a file inheriting the tiny PseudoSeg
# config). An option with its own resumable state adds one entry here.
COMMON = """_base_ = ['{smoke}']
model = dict(decode_head=dict(dropout_ratio=0.5))  # dropout on: ASPP head + SGC
train_cfg = dict(max_iters=4, val_interval=2)  # validation between the halves too
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=4,
                        by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=-1))
custom_hooks = []
"""
RECIPES = {
    'unlabelled': '',
    'image_level': """
model = dict(semi_train_cfg=dict(use_image_labels=True))
train_dataloader = _base_.train_dataloader
train_dataloader.dataset.datasets[1].update(with_masks=True, pipeline=[
    dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
    dict(type='GenerateValidityMap'), *_base_.weak_geometry,
    dict(type='MultiView', branch_field=_base_.branches,
         weak=[dict(type='PackSemiSegInputs')],
         strong=[*_base_.strong_view[:2], dict(type='ImageLevelLabels'),
                 _base_.strong_view[2]])])
""",
    # the teacher is a submodule saved in checkpoints, moved by its hook
    'ema_teacher': """
model = dict(semi_train_cfg=dict(teacher='ema'))
custom_hooks = [dict(type='EMATeacherHook', momentum=0.1)]
""",
}


def _root_opts(root):
    return ['--cfg-options', f'train_dataloader.dataset.datasets.0.data_root={root}',
            f'train_dataloader.dataset.datasets.1.data_root={root}',
            f'val_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}']


def _write_case(tmp_path, repo_root, case):
    common = tmp_path / 'common.py'
    common.write_text(COMMON.format(smoke=osp.join(repo_root, SEMI_SMOKE)))
    path = tmp_path / f'{case}.py'
    path.write_text("_base_ = ['./common.py']\n" + RECIPES[case])
    return str(path)


def _run(args, repo_root, env_extra=None):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    env.update(env_extra or {})
    proc = subprocess.run(args, cwd=repo_root, env=env, capture_output=True,
                          text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{args} failed ({proc.returncode}):\n{out[-4000:]}'
    return out


def _straight_and_resumed(launch, config, work, voc_root, extra_opts=()):
    """Train 4 iterations; train 2, then --resume to 4. Returns the two iter_4."""
    opts = _root_opts(voc_root) + list(extra_opts)
    launch([config, '--work-dir', str(work / 'straight')] + opts)
    launch([config, '--work-dir', str(work / 'resumed')] + opts +
           ['train_cfg.max_iters=2'])
    out = launch([config, '--work-dir', str(work / 'resumed'), '--resume'] + opts)
    assert 'Iter(train) [3/4]' in out and 'Iter(train) [1/4]' not in out
    assert 'RNGStateHook: restored the torch' in out
    return (str(work / 'straight' / 'iter_4.pth'),
            str(work / 'resumed' / 'iter_4.pth'))


def _assert_identical_and_safe(straight, resumed, world_size):
    assert _differing(_tensors(straight), _tensors(resumed)) == []
    for path in (straight, resumed):
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        assert set(unsafe) <= _allowed_globals(), set(unsafe) - _allowed_globals()
        states = torch.load(path, weights_only=True)[CHECKPOINT_KEY]
        assert len(states) == world_size
        assert all(s['torch'].dtype == torch.uint8 for s in states)
    if world_size > 1:  # seeded per rank: every rank saved its own stream
        assert not torch.equal(states[0]['torch'], states[1]['torch'])


@pytest.mark.slow
@pytest.mark.parametrize('case', sorted(RECIPES))
def test_recipe_resumes_bit_identically(case, voc_root, repo_root, tmp_path):
    config = _write_case(tmp_path, repo_root, case)

    def launch(args):
        return _run([sys.executable, 'tools/train.py'] + args, repo_root)
    straight, resumed = _straight_and_resumed(launch, config, tmp_path, voc_root)
    _assert_identical_and_safe(straight, resumed, world_size=1)


@pytest.mark.slow
def test_two_process_run_resumes_bit_identically(voc_root, repo_root, tmp_path):
    config = _write_case(tmp_path, repo_root, 'unlabelled')

    def launch(args):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        env = {'PORT': str(port), 'PYTHON': sys.executable}
        return _run(['bash', 'tools/dist_train.sh', args[0], '2'] + args[1:],
                    repo_root, env_extra=env)
    straight, resumed = _straight_and_resumed(
        launch, config, tmp_path, voc_root, ['randomness.diff_rank_seed=True'])
    _assert_identical_and_safe(straight, resumed, world_size=2)
