"""Shared fixtures: synthetic VOC trees written to disk once per session."""
import os
import os.path as osp
import sys

import pytest

sys.path.insert(0, osp.dirname(__file__))
# the tools' own modules (demo scenes, run summary) sit beside the tools
sys.path.append(osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools'))
# Keep the suite fast and quiet on 2 cores.
os.environ.setdefault('OMP_NUM_THREADS', '1')

from synthetic_voc import make_voc_tree  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_REFERENCE = osp.join(REPO, '..', 'shared', 'reference')


@pytest.fixture(scope='session')
def voc_root(tmp_path_factory):
    """A tiny VOC 2012 + aug tree: 16 train, 6 val, 32 trainaug ids (~48x64)."""
    root = str(tmp_path_factory.mktemp('VOC2012'))
    make_voc_tree(root, n_train=16, n_val=6, n_aug_only=16, size=(48, 64))
    return root


@pytest.fixture(scope='session')
def repo_root():
    return REPO


@pytest.fixture(scope='session')
def reference_dir():
    """``../shared/reference`` (tests that need it skip when it is absent)."""
    if not osp.isdir(SHARED_REFERENCE):
        pytest.skip('../shared/reference is not present')
    return SHARED_REFERENCE


@pytest.fixture(scope='session')
def trained_pseudoseg(voc_root, tmp_path_factory):
    """One tiny PseudoSeg checkpoint, trained once by ``tools/train.py`` (2 iters of
    the smoke config on ``voc_root``): ``dict(config, checkpoint, cfg_options)``."""
    import subprocess
    config = osp.join(REPO, 'configs', 'pseudoseg', 'smoke_pseudoseg_tiny_voc.py')
    work = str(tmp_path_factory.mktemp('trained_pseudoseg'))
    cfg_options = {f'train_dataloader.dataset.datasets.{i}.data_root': voc_root
                   for i in (0, 1)}
    cfg_options.update({'val_dataloader.dataset.data_root': voc_root,
                        'test_dataloader.dataset.data_root': voc_root})
    opts = ['--cfg-options'] + [f'{k}={v}' for k, v in cfg_options.items()]
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', config, '--work-dir', work] + opts,
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return dict(config=config, checkpoint=osp.join(work, 'iter_2.pth'),
                cfg_options=cfg_options, opts=opts)
