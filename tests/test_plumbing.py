"""The plugin's plumbing, end to end with real processes and files.

Train a stock segmentor with our tools, resume it with weights-only loading, test it
with our and mmseg's stock tools, and train with two gloo processes via
``tools/dist_train.sh``.
"""
import glob
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

import mmseg_pseudoseg  # noqa: F401
from mmseg_pseudoseg import compat

SMOKE = 'configs/pseudoseg/smoke_stock_fcn_tiny_voc.py'
SEMI_SMOKE = 'configs/pseudoseg/smoke_pseudoseg_tiny_voc.py'


def semi_root_opts(root):
    """--cfg-options pointing every dataset of the PseudoSeg smoke config at root."""
    return ['--cfg-options', f'train_dataloader.dataset.datasets.0.data_root={root}',
            f'train_dataloader.dataset.datasets.1.data_root={root}',
            f'val_dataloader.dataset.data_root={root}',
            f'test_dataloader.dataset.data_root={root}']


def run(args, cwd, env_extra=None, timeout=300):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    env.update(env_extra or {})
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f'{args} failed ({proc.returncode}):\n{out[-4000:]}'
    return out


def stock_tool(name):
    import mmseg
    path = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools', name)
    assert osp.isfile(path), path
    return path


@pytest.fixture(scope='module')
def trained(voc_root, repo_root, tmp_path_factory):
    """Train 2 iterations, then resume to 4 (checkpoints at 2 and 4)."""
    work = str(tmp_path_factory.mktemp('smoke_work'))
    opts = ['--cfg-options', f'train_dataloader.dataset.data_root={voc_root}',
            f'val_dataloader.dataset.data_root={voc_root}',
            f'test_dataloader.dataset.data_root={voc_root}']
    first = run([sys.executable, 'tools/train.py', SMOKE, '--work-dir', work] + opts +
                ['train_cfg.max_iters=2'], repo_root)
    second = run([sys.executable, 'tools/train.py', SMOKE, '--work-dir', work,
                  '--resume'] + opts, repo_root)
    return dict(work=work, opts=opts, first=first, second=second)


def test_train_writes_weights_only_checkpoints(trained):
    ckpt = osp.join(trained['work'], 'iter_4.pth')
    assert osp.isfile(ckpt)
    # Our registration makes the whole checkpoint loadable weights-only, with no
    # unsafe global left (builtins.getattr in particular).
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(ckpt)
    allowed = {f'{g.__module__}.{g.__qualname__}'
               for g in torch.serialization.get_safe_globals()
               if hasattr(g, '__qualname__')}
    assert 'builtins.getattr' not in unsafe
    assert set(unsafe) <= allowed, set(unsafe) - allowed
    state = torch.load(ckpt, map_location='cpu', weights_only=True)
    assert state['meta']['iter'] == 4
    buffers = state['message_hub']['log_scalars']
    assert buffers and all(type(b).__name__ == 'HistoryBuffer' for b in buffers.values())


def test_resume_continues_at_the_right_iteration(trained):
    assert 'Iter(train) [2/2]' in trained['first']
    assert re.search(r'resumed (epoch|iter)', trained['second']) or \
        'Load checkpoint from' in trained['second']
    # the resumed run starts at iteration 3 (never re-runs 1-2) and ends at 4
    assert 'Iter(train) [3/4]' in trained['second']
    assert 'Iter(train) [1/4]' not in trained['second']
    assert 'Iter(train) [4/4]' in trained['second']


def test_our_test_tool_prints_miou(trained, repo_root):
    out = run([sys.executable, 'tools/test.py', SMOKE,
               osp.join(trained['work'], 'iter_4.pth'), '--work-dir',
               osp.join(trained['work'], 'test')] + trained['opts'], repo_root)
    assert re.search(r'mIoU: \d+\.\d+', out), out[-2000:]


def test_stock_mmseg_tools_run_our_config(voc_root, repo_root, tmp_path):
    """mmseg's own train.py/test.py find every PseudoSeg component through the
    config's custom_imports and train + evaluate the PseudoSeg smoke config."""
    work = str(tmp_path / 'stock')
    env = {'PYTHONPATH': repo_root}
    run([sys.executable, stock_tool('train.py'), SEMI_SMOKE, '--work-dir', work] +
        semi_root_opts(voc_root), repo_root, env_extra=env)
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    out = run([sys.executable, stock_tool('test.py'), SEMI_SMOKE,
               osp.join(work, 'iter_2.pth'), '--work-dir', work] +
              semi_root_opts(voc_root), repo_root, env_extra=env)
    assert re.search(r'mIoU: \d+\.\d+', out)
    assert re.search(r'ECE: \d+\.\d+', out)


def test_dist_train_two_cpu_processes(voc_root, repo_root, tmp_path):
    """tools/dist_train.sh with 2 gloo processes trains the PseudoSeg smoke config."""
    work = str(tmp_path / 'dist')
    env = {'PORT': '29517', 'PYTHON': sys.executable}
    out = run(['bash', 'tools/dist_train.sh', SEMI_SMOKE, '2', '--work-dir', work] +
              semi_root_opts(voc_root), repo_root, env_extra=env)
    assert 'Distributed training: True' in out and 'GPU number: 2' in out, out[-3000:]
    # Both ranks stepped: DDP all-reduces gradients in every backward, so rank 0
    # can only log iteration 2 if rank 1 ran both steps too; torchrun exits 0 only
    # if every rank did.
    assert 'Iter(train) [1/2]' in out and 'Iter(train) [2/2]' in out
    assert 'unsup.loss_u' in out and 'sgc.loss_sa' in out
    ckpts = glob.glob(osp.join(work, '*.pth'))
    assert [osp.basename(c) for c in ckpts] == ['iter_2.pth']
    assert 'terminate called' not in out
    state = torch.load(ckpts[0], map_location='cpu', weights_only=True)
    assert state['meta']['iter'] == 2
    assert any(k.startswith('sgc_head.') for k in state['state_dict'])


def test_config_without_custom_imports_names_the_fix(tmp_path, repo_root):
    cfg = tmp_path / 'bad.py'
    cfg.write_text(
        "_base_ = ['{}']\n"
        "custom_imports = None\n"
        "model = dict(type='EncoderDecoder', data_preprocessor=dict(\n"
        "    type='SemiSegDataPreProcessor'))\n".format(
            osp.join(repo_root, SMOKE)))
    from mmengine.config import Config

    from mmseg_pseudoseg.utils import check_custom_imports
    with pytest.raises(ValueError, match=r"custom_imports=dict\(imports=\['mmseg_pseudoseg'\]"):
        check_custom_imports(Config.fromfile(str(cfg)))
    # the smoke config itself imports the plugin: no error
    check_custom_imports(Config.fromfile(osp.join(repo_root, SMOKE)))


def test_missing_config_or_checkpoint_is_named(repo_root, tmp_path):
    sys.path.insert(0, osp.join(repo_root, 'tools'))
    import importlib
    test_tool = importlib.import_module('test')
    args = test_tool.parse_args([SMOKE, str(tmp_path / 'nope.pth')])
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        test_tool.build_cfg(args)


@pytest.mark.parametrize('versions, bad', [
    ({'mmcv': '2.2.0', 'mmengine': '0.10.7', 'mmseg': '1.2.2'}, 'mmcv==2.2.0'),
    ({'mmcv': '2.1.0', 'mmengine': '0.10.7', 'mmseg': '1.3.0'}, 'mmsegmentation==1.3.0'),
    ({'mmcv': '1.7.2', 'mmengine': '0.9.0', 'mmseg': '1.2.2'}, 'mmengine==0.9.0'),
])
def test_version_check_names_the_pins(versions, bad):
    with pytest.raises(ImportError) as err:
        compat.check_versions(versions)
    assert bad in str(err.value)
    assert 'mmcv==2.1.0, mmengine==0.10.7, mmsegmentation==1.2.2' in str(err.value)
    compat.check_versions({'mmcv': '2.1.0', 'mmengine': '0.10.7', 'mmseg': '1.2.2'})
