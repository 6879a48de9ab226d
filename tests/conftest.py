"""Shared fixtures: synthetic VOC trees written to disk once per session."""
import os
import os.path as osp
import sys

import pytest

sys.path.insert(0, osp.dirname(__file__))
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
