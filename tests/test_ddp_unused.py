"""DDP's unused-parameter search: off by default (every parameter gets a gradient
in every step of the shipped recipes), needed only where a setting leaves
parameters idle. The idle sets are measured directly; 2-process gloo runs
(``tools/dist_train.sh``) show each case trains, and that the search is needed
where parameters idle."""
import glob
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

import mmseg_pseudoseg  # noqa: F401
from dist_runs import smoke_config_text
from tiny_backbones import CONFIGS, build_and_batch, tiny_recipe_cfg

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
HEADLINE = 'deeplabv3plus_r101_voc_1-16.py'
DECODER_ONLY = dict(sgc_head=None, pseudo_labeler=dict(source='decoder'))
PLAIN_LABELLED_BATCHES = """
train_dataloader = dict(
    batch_size=2,
    batch_sampler=dict(_delete_=True, type='SemiBatchSampler', labelled_per_gpu=2,
                       extra_per_gpu=0),
    dataset=dict(_delete_=True, type='SemiVOCDataset', data_root='{root}',
                 ann_file='ImageSets/Segmentation/train.txt',
                 pipeline=[dict(type='LoadImageFromFile'),
                           dict(type='LoadAnnotations'),
                           dict(type='RandomCrop', crop_size=(32, 32)),
                           dict(type='PackSegInputs')]))
"""


def idle_parameters(model, data):
    losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    loss.backward()
    return sorted(n for n, p in model.named_parameters()
                  if p.requires_grad and p.grad is None)


@pytest.mark.parametrize('name,overrides', [
    ('recipe', None),
    ('decoder-only source, no SGC head', DECODER_ONLY),
    ('decoder-only source, SGC head kept', dict(pseudo_labeler=dict(
        source='decoder'))),
    ('image-level labels', dict(semi_train_cfg=dict(use_image_labels=True))),
])
def test_no_idle_parameter_in_a_semi_step(name, overrides, voc_root, tmp_path):
    cfg = tiny_recipe_cfg(HEADLINE, voc_root, str(tmp_path), model=overrides)
    if name == 'image-level labels':
        extra = cfg.train_dataloader.dataset.datasets[1]
        imglabels = Config.fromfile(osp.join(
            CONFIGS, 'deeplabv3plus_r101_voc_1-16_imglabels.py'))
        from tiny_backbones import shrink_pipeline
        extra.update(with_masks=True, pipeline=shrink_pipeline(
            imglabels.train_dataloader.dataset.datasets[1].pipeline))
    model, data = build_and_batch(cfg)
    assert idle_parameters(model, data) == []


def test_plain_labelled_batches_leave_the_sgc_head_idle(voc_root, tmp_path):
    cfg = tiny_recipe_cfg(HEADLINE, voc_root, str(tmp_path))
    cfg.merge_from_dict(Config.fromstring(
        PLAIN_LABELLED_BATCHES.format(root=voc_root), '.py').to_dict())
    model, data = build_and_batch(cfg)
    assert isinstance(data['inputs'], torch.Tensor)  # a plain EncoderDecoder step
    sgc = sorted(f'sgc_head.{n}' for n, p in model.sgc_head.named_parameters())
    assert idle_parameters(model, data) == sgc


def test_shipped_configs_skip_the_search():
    """No shipped config trains a PseudoSeg model on plain batches, so none needs
    the search (the runtime base turns it off)."""
    paths = glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True) + \
        glob.glob(osp.join(REPO, 'configs', 'baselines', '*.py'))
    for path in sorted(paths):
        if '_base_' in path:
            continue
        cfg = Config.fromfile(path)
        wrapper = cfg.get('model_wrapper_cfg', {})
        assert wrapper.get('find_unused_parameters') is False, path


# ------------------------------------------------------------ 2 gloo processes
SMOKE = osp.join(REPO, 'configs/pseudoseg/smoke_pseudoseg_tiny_voc.py')
BASELINE_SMOKE = osp.join(REPO, 'configs/baselines/smoke_{}_tiny_voc.py')


@pytest.mark.parametrize('method', ['fixmatch', 'unimatch', 'mean-teacher',
                                    'cutmix-seg'])
def test_no_idle_parameter_in_a_baseline_step(method, voc_root):
    cfg = Config.fromfile(BASELINE_SMOKE.format(method))
    for dataset in cfg.train_dataloader.dataset.datasets:
        dataset.data_root = voc_root
    model, data = build_and_batch(cfg)
    if model.ema_teacher is not None:
        model.init_teacher(copy_student=True)  # what EMATeacherHook does first
    assert idle_parameters(model, data) == []


def dist_train(cfg_text, tmp_path, name):
    path = tmp_path / f'{name}.py'
    path.write_text(cfg_text)
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1',
               PORT=str(port), PYTHON=sys.executable, PYTHONPATH=REPO)
    proc = subprocess.run(['bash', 'tools/dist_train.sh', str(path), '2',
                           '--work-dir', str(tmp_path / name)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def smoke_text(root, find_unused, extra='', smoke=SMOKE):
    return smoke_config_text(
        root, f"model_wrapper_cfg = dict(find_unused_parameters={find_unused})\n" +
        extra, smoke)


@pytest.mark.slow
@pytest.mark.parametrize('case,extra', [
    ('recipe', ''),
    ('decoder-only-no-sgc',
     "model = dict(sgc_head=None, pseudo_labeler=dict(source='decoder'))\n"),
], ids=['recipe', 'decoder-only-no-sgc'])
def test_two_processes_without_the_search(case, extra, voc_root, tmp_path):
    rc, out = dist_train(smoke_text(voc_root, False, extra), tmp_path, case)
    assert rc == 0, out[-4000:]
    assert 'Distributed training: True' in out and 'Iter(train) [2/2]' in out


@pytest.mark.slow
def test_two_processes_fixmatch_without_the_search(voc_root, tmp_path):
    """A baseline (FixMatch: joint labelled + weak pass, CutMix, eval-mode partner
    pass) trains under DDP with every parameter reduced in every step."""
    text = smoke_text(voc_root, False, smoke=BASELINE_SMOKE.format('fixmatch'))
    rc, out = dist_train(text, tmp_path, 'fixmatch')
    assert rc == 0, out[-4000:]
    assert 'Distributed training: True' in out and 'Iter(train) [2/2]' in out
    assert 'unsup.loss_u' in out


@pytest.mark.slow
def test_two_processes_with_idle_parameters_need_the_search(voc_root, tmp_path):
    extra = PLAIN_LABELLED_BATCHES.format(root=voc_root)
    rc, out = dist_train(smoke_text(voc_root, True, extra), tmp_path, 'on')
    assert rc == 0, out[-4000:]
    assert 'Iter(train) [2/2]' in out
    # without the search, DDP stops at the second step and says why
    rc, out = dist_train(smoke_text(voc_root, False, extra), tmp_path, 'off')
    assert rc != 0
    assert 'Expected to have finished reduction in the prior iteration' in out
