"""The baselines' recipes (configs/baselines/, docs/methods.md §1): the PseudoSeg
1/16 protocol with another method, trained through ``tools/train.py`` on a tiny VOC
tree (their smoke variants) and exported to a plain mmseg model whose predictions
equal the trained model's."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

import mmseg_pseudoseg  # noqa: F401  (registration)
from test_export import export_and_compare

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BASELINES = osp.join(REPO, 'configs', 'baselines')
PSEUDOSEG = osp.join(REPO, 'configs', 'pseudoseg', 'deeplabv3plus_r101_voc_1-16.py')
METHODS = {'fixmatch': 'FixMatch', 'unimatch': 'UniMatch',
           'mean-teacher': 'MeanTeacher', 'cutmix-seg': 'CutMixSeg'}


def recipe(method):
    return Config.fromfile(osp.join(BASELINES,
                                    f'deeplabv3plus_r101_voc_1-16_{method}.py'))


@pytest.mark.parametrize('method', sorted(METHODS))
def test_recipe_shares_the_pseudoseg_protocol(method):
    ours, theirs = recipe(method), Config.fromfile(PSEUDOSEG)
    assert ours.model.type == METHODS[method]
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg', 'val_dataloader',
                'val_evaluator', 'randomness', 'model_wrapper_cfg'):
        assert ours[key] == theirs[key], key
    for key in ('backbone', 'decode_head', 'test_cfg'):
        assert ours.model[key] == theirs.model[key], key
    assert {k: v for k, v in ours.model.data_preprocessor.items() if k != 'type'} \
        == {k: v for k, v in theirs.model.data_preprocessor.items() if k != 'type'}
    mine, base = ours.train_dataloader, theirs.train_dataloader
    assert mine.batch_size == base.batch_size == 16
    assert mine.batch_sampler == base.batch_sampler
    for i in (0, 1):
        a, b = mine.dataset.datasets[i], base.dataset.datasets[i]
        assert {k: v for k, v in a.items() if k != 'pipeline'} == \
            {k: v for k, v in b.items() if k != 'pipeline'}
        # the same loading and weak geometry before the views split
        assert a.pipeline[:-1] == b.pipeline[:-1]
    extra = mine.dataset.datasets[1].pipeline[-1]
    strong = [t['type'] for t in extra['strong']]
    expected = {'fixmatch': ['PILColorJitter', 'RandomGaussianBlur', 'RandomCutMixBox'],
                'unimatch': ['PILColorJitter', 'RandomGaussianBlur', 'RandomCutMixBox'],
                'mean-teacher': ['PILColorJitter'],
                'cutmix-seg': ['RandomCutMixBox']}[method]
    assert strong == expected + ['PackSemiSegInputs']
    if method == 'unimatch':
        assert extra['strong2'] == extra['strong']
        assert mine.dataset.datasets[0].pipeline[-1]['branch_field'] == [
            'sup', 'weak', 'strong', 'strong2']
    hooks = [h['type'] for h in ours.custom_hooks]
    if METHODS[method] in ('MeanTeacher', 'CutMixSeg'):
        assert ours.custom_hooks[0] == dict(type='EMATeacherHook', momentum=0.01)
        assert ours.model.semi_train_cfg.conf_thresh == 0.97
        assert ours.model.semi_train_cfg.unsup_weight == (
            0.003 if method == 'mean-teacher' else 1.0)
    else:
        assert 'EMATeacherHook' not in hooks
        assert ours.model.semi_train_cfg.conf_thresh == 0.95


def train_smoke(method, root, work):
    config = osp.join(BASELINES, f'smoke_{method}_tiny_voc.py')
    opts = ['--cfg-options'] + [
        f'{k}={root}' for k in ('train_dataloader.dataset.datasets.0.data_root',
                                'train_dataloader.dataset.datasets.1.data_root',
                                'val_dataloader.dataset.data_root',
                                'test_dataloader.dataset.data_root')]
    proc = subprocess.run([sys.executable, 'tools/train.py', config, '--work-dir',
                           work] + opts, cwd=REPO, capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return config, osp.join(work, 'iter_2.pth'), opts, proc.stdout + proc.stderr


@pytest.mark.slow  # 35-60 s each on 2 cores
@pytest.mark.parametrize('method', sorted(METHODS))
def test_smoke_recipe_trains_and_exports(method, voc_root, tmp_path):
    config, ckpt, opts, log = train_smoke(method, voc_root, str(tmp_path / 'work'))
    assert 'Iter(train) [2/2]' in log and 'mIoU' in log
    with open(tmp_path / 'work' / 'pseudo_labels' / 'iter_000002' /
              'stats.json') as f:
        assert 'conf_fused' in json.load(f)['scalars']
    export_and_compare(config, ckpt, str(tmp_path / 'export'), voc_root, tmp_path,
                       opts=opts)
    source = torch.load(ckpt, weights_only=True)['state_dict']
    exported = torch.load(tmp_path / 'export' / 'exported.pth',
                          weights_only=True)['state_dict']
    teacher = {k for k in source if k.startswith('ema_teacher.')}
    assert bool(teacher) == (METHODS[method] in ('MeanTeacher', 'CutMixSeg'))
    assert set(exported) == set(source) - teacher
