"""Launching the tiny PseudoSeg recipe on one or several gloo processes or "nodes".

Every run goes through the shipped entry points: ``tools/train.py`` for one process,
``tools/dist_train.sh`` (torchrun) for several, with ``NNODES``/``NODE_RANK``/
``MASTER_ADDR``/``PORT`` for several nodes on this machine. One OpenMP thread per
process. ``tests/`` is on the processes' ``PYTHONPATH`` so a config may import
``rank_state_dump`` (every rank's final model state, see that module).
"""
import os
import os.path as osp
import signal
import socket
import subprocess
import sys

import torch

import mmseg_pseudoseg  # noqa: F401  (weights-only loading of our checkpoints)

TESTS = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(TESTS)
SMOKE = osp.join(REPO, 'configs', 'pseudoseg', 'smoke_pseudoseg_tiny_voc.py')
TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def smoke_config_text(voc_root: str, extra: str = '', smoke: str = SMOKE) -> str:
    """The text of a config: the tiny ``smoke`` config on ``voc_root`` (no custom
    hooks) plus ``extra``."""
    return (f"_base_ = ['{smoke}']\n"
            f"data_root = '{voc_root}'\n"
            "sets = _base_.train_dataloader.dataset.datasets\n"
            "train_dataloader = dict(dataset=dict(datasets=[\n"
            "    dict(sets[0], data_root=data_root),\n"
            "    dict(sets[1], data_root=data_root)]))\n"
            "val_dataloader = dict(dataset=dict(data_root=data_root))\n"
            "test_dataloader = val_dataloader\n"
            "custom_hooks = []\n" + extra)


def write_config(path, voc_root: str, extra: str = '') -> str:
    """The tiny PseudoSeg config on ``voc_root`` (no custom hooks) plus ``extra``."""
    with open(path, 'w') as f:
        f.write(smoke_config_text(voc_root, extra))
    return str(path)


def _env(extra=None) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1',
               PYTHON=sys.executable, PYTHONPATH=os.pathsep.join([REPO, TESTS]))
    env.update(extra or {})
    return env


def train_single(config: str, work_dir: str, args=()) -> str:
    """``python tools/train.py`` in one process; returns its output."""
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', config, '--work-dir', work_dir, *args],
        cwd=REPO, env=_env(), capture_output=True, text=True, timeout=TIMEOUT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def launch_nodes(config: str, work_dirs: list, gpus: int, args=(),
                 timeout: int = TIMEOUT) -> list:
    """``tools/dist_train.sh CONFIG GPUS`` on ``len(work_dirs)`` "nodes" of this
    machine (``NODE_RANK`` 0, 1, ..., ``MASTER_ADDR=127.0.0.1``, a free ``PORT``),
    all started at once, node ``i`` with ``--work-dir work_dirs[i]``.
    Returns every node's ``(returncode, output)``."""
    port = str(free_port())
    procs = []
    for node, work_dir in enumerate(work_dirs):
        env = _env(dict(NNODES=str(len(work_dirs)), NODE_RANK=str(node),
                        MASTER_ADDR='127.0.0.1', PORT=port))
        procs.append(subprocess.Popen(
            ['bash', 'tools/dist_train.sh', config, str(gpus), '--work-dir',
             work_dir, *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True))
    outs = []
    try:
        for proc in procs:
            outs.append(proc.communicate(timeout=timeout)[0])
    finally:
        for proc in procs:  # a node left waiting for a failed peer
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return [(proc.returncode, out) for proc, out in zip(procs, outs)]


def train_nodes(config: str, work_dir: str, nnodes: int, gpus: int,
                args=()) -> list:
    """:func:`launch_nodes` with one ``work_dir`` for all nodes (a shared file
    system); fails if a node fails. Returns every node's output."""
    results = launch_nodes(config, [work_dir] * nnodes, gpus, args)
    for node, (returncode, out) in enumerate(results):
        assert returncode == 0, f'node {node} failed:\n{out[-4000:]}'
    return [out for _, out in results]


def model_tensors(path: str) -> dict:
    """``state_dict`` of a checkpoint (or a plain state dict), weights-only."""
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    return ckpt.get('state_dict', ckpt)


def differing(first: dict, second: dict) -> list:
    """Names whose tensors are not bit-identical (the key sets must match)."""
    assert first.keys() == second.keys()
    return sorted(k for k in first if not torch.equal(first[k], second[k]))
