"""The demo configs (and the baselines' demo rows, which inherit them) train with
``num_workers=0``: their batches are those of one loader worker, so the published
figures (measured with one worker) still hold.

mmengine seeds loader worker 0 of rank 0 with the run's seed, and the Runner seeds
the main process with the same seed; every demo transform draws from numpy's and
``random``'s global state only, so a loader in the main process draws the same
augmentations even while the model consumes torch's generator between batches
(initialisation, dropout). A transform that drew from torch's generator would
break this and fail here.
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

pytest.importorskip('skimage', reason='needs requirements-demo.txt')

import demo_set as mdd  # noqa: E402

SCALE = 0.03  # 31 labelled-pool, 61 extra, 20 val ids
CONFIGS = ['pseudoseg/demo/demo_pseudoseg_1-16_imglabels_ema-rampup.py',
           'pseudoseg/demo/demo_pseudoseg_1-16_ema-rampup.py',
           'pseudoseg/demo/demo_supervised_1-16.py',
           'baselines/demo/demo_cutmix-seg_1-16.py',  # CutMix box drawn in the pipeline
           'baselines/demo/demo_unimatch_1-16.py']  # PIL jitter, blur, two strong views


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('demo_loader') / 'demo_voc')
    mdd.make_demo_data(root, seed=0, scale=SCALE, workers=1)
    return root


def _batches(cfg, num_workers, n=3):
    """The first ``n`` batches of ``cfg``'s train loader, seeded as the Runner
    seeds a run (seed 0); torch's generator is drawn from between batches as a
    training step does."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner, set_random_seed
    init_default_scope('mmseg')
    set_random_seed(0)
    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.update(num_workers=num_workers, persistent_workers=num_workers > 0)
    out = []
    for batch, _ in zip(Runner.build_dataloader(loader_cfg, seed=0), range(n)):
        out.append(batch)
        torch.rand(1000)  # a step's initialisation / dropout draws
    return out


def _flatten(batch):
    """``{name: value}`` of a batch: per branch and sample, the input tensor, the
    image path and every label tensor (None for a sample without that branch)."""
    inputs, samples = batch['inputs'], batch['data_samples']
    if not isinstance(inputs, dict):  # the supervised loader: one plain branch
        inputs, samples = {'sup': inputs}, {'sup': samples}
    flat = {}
    for branch in inputs:
        for i, (image, sample) in enumerate(zip(inputs[branch], samples[branch])):
            name = f'{branch}.{i}'
            flat[name] = image
            if sample is not None:
                flat[f'{name}.img_path'] = sample.img_path
                flat.update({f'{name}.{key}': getattr(sample, key).data
                             for key in sample.keys()
                             if hasattr(getattr(sample, key), 'data')})
    return flat


@pytest.mark.parametrize('name', CONFIGS)
def test_main_process_loader_draws_the_batches_of_one_worker(name, demo_root,
                                                              repo_root):
    cfg = Config.fromfile(osp.join(repo_root, 'configs', name))
    assert cfg.train_dataloader.num_workers == 0
    datasets = cfg.train_dataloader.dataset.get('datasets',
                                                [cfg.train_dataloader.dataset])
    for dataset in datasets:
        dataset.data_root = demo_root
    in_main, in_worker = _batches(cfg, 0), _batches(cfg, 1)
    for step, (a, b) in enumerate(zip(in_main, in_worker)):
        a, b = _flatten(a), _flatten(b)
        assert a.keys() == b.keys(), step
        for key in a:
            if isinstance(a[key], torch.Tensor):
                assert torch.equal(a[key], b[key]), f'batch {step}: {key}'
            else:
                assert a[key] == b[key], f'batch {step}: {key}'
