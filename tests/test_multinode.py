"""Several nodes: two torchrun "nodes" on this machine, and the Slurm scripts.

* ``tools/dist_train.sh`` on two nodes (``NNODES=2``, ``NODE_RANK`` 0 and 1,
  ``MASTER_ADDR=127.0.0.1``, a free ``PORT``), one gloo process each, sharing one
  work dir as cluster nodes share a file system. Both finish, and the checkpoint is
  bit for bit the one 2 processes on one node write (same seed). A node that trained
  alone (world size 1) would have drawn other batches and averaged no gradient,
  so it could not match; the checkpoint also holds both ranks' random-generator
  states, gathered across the nodes.
* Preemption: 1 iteration on the two nodes, checkpoint, ``--resume`` to 2 equals 2
  straight iterations in every parameter, buffer and optimizer state (dropout on;
  every rank restores its own generator states, ``RNGStateHook``).
* Nodes that would resume from different checkpoints (a work dir that is not
  shared) all stop with one message naming each rank's checkpoint, instead of
  waiting for each other forever.
* ``tools/slurm_train.sh`` / ``tools/slurm_test.sh`` (mmseg's): their argument
  checks, and ``--launcher slurm`` through the tools' parsers into the config the
  Runner gets (mmengine's ``init_dist`` reads Slurm's environment; there is no
  Slurm here, so nothing is launched).
"""
import os.path as osp
import shutil
import socket
import subprocess

import pytest
import torch

from dist_runs import (REPO, differing, launch_nodes, model_tensors,
                       train_nodes, write_config)
from mmseg_pseudoseg.engine.hooks.rng_state_hook import CHECKPOINT_KEY
from tool_module import load_tool

RUN = """
model = dict(decode_head=dict(dropout_ratio=0.5))  # random draws in every step
train_cfg = dict(max_iters=2, val_interval=1)  # validation between the halves too
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=2,
                        by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=-1))
randomness = dict(seed=0, diff_rank_seed=True)
"""


def _optimizer_tensors(path):
    state = torch.load(path, map_location='cpu', weights_only=True)['optimizer']
    return {f'{pid}/{key}': torch.as_tensor(value)
            for pid, values in state['state'].items()
            for key, value in values.items()}


@pytest.fixture(scope='module')
def two_nodes(voc_root, tmp_path_factory):
    """2 iterations on two nodes (1 process each): config, work dir, outputs."""
    tmp = tmp_path_factory.mktemp('two_nodes')
    config = write_config(tmp / 'cfg.py', voc_root, RUN)
    work = str(tmp / 'straight')
    outs = train_nodes(config, work, nnodes=2, gpus=1)
    return dict(config=config, work=work, outs=outs, tmp=tmp)


@pytest.mark.slow
def test_two_nodes_train_as_two_processes_of_one_node(two_nodes):
    node0, node1 = two_nodes['outs']
    assert 'Distributed training: True' in node0
    assert 'Iter(train) [2/2]' in node0 and 'Traceback' not in node1
    ckpt = osp.join(two_nodes['work'], 'iter_2.pth')
    one_node = str(two_nodes['tmp'] / 'one_node')
    train_nodes(two_nodes['config'], one_node, nnodes=1, gpus=2)
    assert differing(model_tensors(ckpt),
                     model_tensors(osp.join(one_node, 'iter_2.pth'))) == []
    states = torch.load(ckpt, weights_only=True)[CHECKPOINT_KEY]
    assert len(states) == 2  # gathered from both nodes
    assert not torch.equal(states[0]['torch'], states[1]['torch'])


@pytest.mark.slow
def test_two_nodes_resume_after_preemption_bit_identically(two_nodes):
    config, resumed = two_nodes['config'], str(two_nodes['tmp'] / 'resumed')
    train_nodes(config, resumed, nnodes=2, gpus=1,
                args=['--cfg-options', 'train_cfg.max_iters=1'])
    outs = train_nodes(config, resumed, nnodes=2, gpus=1, args=['--resume'])
    assert 'Iter(train) [2/2]' in outs[0] and 'Iter(train) [1/2]' not in outs[0]
    assert 'RNGStateHook: restored the torch' in outs[0]
    straight = osp.join(two_nodes['work'], 'iter_2.pth')
    again = osp.join(resumed, 'iter_2.pth')
    assert differing(model_tensors(straight), model_tensors(again)) == []
    assert differing(_optimizer_tensors(straight), _optimizer_tensors(again)) == []


@pytest.mark.slow
def test_resume_stops_every_node_when_one_lacks_the_checkpoint(two_nodes):
    """Node 0's work dir names the checkpoint, node 1 has its own, empty one: rank 0
    would resume at iteration 2 and rank 1 start at 0, and the run would wait
    forever at the first collective that no longer matches."""
    node0, node1 = two_nodes['tmp'] / 'node0_own', two_nodes['tmp'] / 'node1_own'
    node0.mkdir()
    node1.mkdir()
    ckpt = osp.join(two_nodes['work'], 'iter_2.pth')
    (node0 / 'last_checkpoint').write_text(ckpt)  # as mmengine writes it
    results = launch_nodes(two_nodes['config'], [str(node0), str(node1)], gpus=1,
                           args=['--resume'], timeout=240)
    for returncode, out in results:
        assert returncode != 0
        assert '--resume: the ranks would not resume from the same checkpoint' in out
        assert f'rank 0 on {socket.gethostname()}: {ckpt}' in out
        assert 'rank 1 on' in out and 'no checkpoint' in out
        assert 'Iter(train)' not in out


def test_resume_source_on_one_process_is_what_mmengine_resumes_from(tmp_path):
    from mmseg_pseudoseg.utils import check_resume_source
    assert check_resume_source(False, None, str(tmp_path)) is None
    assert check_resume_source(True, None, str(tmp_path)) is None  # fresh start
    (tmp_path / 'last_checkpoint').write_text('/somewhere/iter_4.pth')
    assert check_resume_source(True, None, str(tmp_path)) == '/somewhere/iter_4.pth'
    assert check_resume_source(True, 'x.pth', str(tmp_path)) == 'x.pth'


# ------------------------------------------------------------------ Slurm scripts
@pytest.mark.parametrize('script,args,usage', [
    ('slurm_train.sh', ['part', 'job'], 'PARTITION JOB_NAME CONFIG [train.py'),
    ('slurm_test.sh', ['part', 'job', 'cfg.py'],
     'PARTITION JOB_NAME CONFIG CHECKPOINT [test.py'),
])
def test_slurm_scripts_refuse_missing_arguments(script, args, usage):
    proc = subprocess.run(['bash', osp.join('tools', script), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and usage in proc.stderr
    assert 'srun' not in proc.stdout


@pytest.mark.skipif(shutil.which('srun') is not None, reason='Slurm is installed')
@pytest.mark.parametrize('script,args', [
    ('slurm_train.sh', ['part', 'job', 'cfg.py']),
    ('slurm_test.sh', ['part', 'job', 'cfg.py', 'ckpt.pth']),
])
def test_slurm_scripts_say_when_srun_is_missing(script, args):
    proc = subprocess.run(['bash', osp.join('tools', script), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 127
    assert 'srun not found' in proc.stderr and 'tools/dist_' in proc.stderr


def test_tools_take_launcher_slurm(tmp_path):
    config = osp.join(REPO, 'configs', 'pseudoseg', 'smoke_pseudoseg_tiny_voc.py')
    train = load_tool('train.py', 'train_tool_slurm')
    args = train.parse_args([config, '--launcher', 'slurm', '--work-dir',
                             str(tmp_path)])
    assert args.launcher == 'slurm'
    assert train.build_cfg(args).launcher == 'slurm'  # Runner: init_dist('slurm')
    test = load_tool('test.py', 'test_tool_slurm')
    assert test.parse_args([config, 'x.pth', '--launcher', 'slurm']).launcher == \
        'slurm'


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA: the Runner inits')
def test_launcher_slurm_on_cpu_says_what_to_use():
    from mmseg_pseudoseg.utils import run_launched
    with pytest.raises(RuntimeError, match=r"launcher='slurm' is not supported on "
                       r'CPU; use torchrun \(tools/dist_train.sh\)'):
        run_launched('slurm', lambda: None)
