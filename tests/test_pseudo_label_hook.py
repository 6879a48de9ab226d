"""PseudoLabelHook with a real tiny PseudoSeg.

A real mmengine Runner trains a tiny PseudoSeg for 4 iterations on a synthetic VOC
tree through the real semi-supervised data pipeline (MultiView, SemiBatchSampler,
SemiSegDataPreProcessor); the hook logs every 2nd iteration and ramps λ_u up.
"""
import copy
import glob
import math
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.structures import PixelData
from PIL import Image

import mmseg_pseudoseg  # noqa: F401  (registration)
import mmseg_pseudoseg.datasets.voc_semi  # noqa: F401  (SemiVOCDataset)
from mmseg_pseudoseg.engine.hooks import (PANEL_TITLES, EMATeacherHook,
                                          PseudoLabelHook,
                                          UnsupWeightRampUpHook,
                                          compose_panel, format_histogram,
                                          pseudo_label_stats, rampup_factor)
from mmseg_pseudoseg.engine.hooks.pseudo_label_panel import (TILE_GAP,
                                                             TITLE_HEIGHT)
from mmseg_pseudoseg.visualization import IGNORE_COLOUR, colorize
from model_factory import build, deeplabv3plus_r18, make_semi_batch

CROP = (32, 32)
SOURCES = {'fused': 'pseudo_label', 'decoder': 'decoder_logits',
           'sgc': 'sgc_logits'}


def probs_of(stash, key):
    """The hook's probabilities of a stash entry, straight from the definition."""
    value = stash[key].double()
    return value if key == 'pseudo_label' else value.softmax(1)


# ------------------------------------------------------------ references
def reference_ece(probs, labels, keep, n_bins=15):
    """ECE straight from the definition (NumPy, bins ((b-1)/M, b/M])."""
    conf = probs.max(1)[keep].astype(np.float64)
    correct = (probs.argmax(1) == labels)[keep]
    ece = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        in_bin = (conf > lo) & (conf <= hi) | ((conf == 0) if b == 0 else False)
        if in_bin.any():
            gap = abs(correct[in_bin].mean() - conf[in_bin].mean())
            ece += in_bin.sum() / len(conf) * gap
    return ece


def reference_stats(stash):
    """Accuracy / ECE / confidence of each source, recomputed in NumPy."""
    fused = stash['pseudo_label'].numpy()
    n, _, h, w = fused.shape
    valid = stash['valid_mask'].numpy().astype(bool)
    gt = np.full((n, h, w), 255)
    for i, sample in enumerate(stash['weak_samples']):
        if 'gt_sem_seg' in sample:
            full = sample.gt_sem_seg.data[0].numpy()
            # nearest: output pixel (y, x) reads input (floor(y*H/h), floor(x*W/w))
            ys = np.floor(np.arange(h) * full.shape[0] / h).astype(int)
            xs = np.floor(np.arange(w) * full.shape[1] / w).astype(int)
            gt[i] = full[ys][:, xs]
    keep = valid & (gt != 255)
    out = {}
    for short, key in SOURCES.items():
        probs = probs_of(stash, key).numpy()
        out[f'conf_{short}'] = probs.max(1)[valid].mean() * 100
        out[f'acc_{short}'] = (probs.argmax(1) == gt)[keep].mean() * 100
        out[f'ece_{short}'] = reference_ece(probs, gt, keep) * 100
    out['acc_strong'] = (stash['strong_logits'].numpy().argmax(1) == gt)[keep].mean() \
        * 100
    return out, keep.sum()


# ------------------------------------------------------------------ ramp-up
def test_rampup_factor_schedules():
    assert rampup_factor(0, 0) == 1.0 and rampup_factor(7, 0, 'linear') == 1.0
    for i in range(0, 12):
        t = min(i / 10, 1.0)
        assert rampup_factor(i, 10) == pytest.approx(math.exp(-5 * (1 - t) ** 2))
        assert rampup_factor(i, 10, 'linear') == pytest.approx(t)
    assert rampup_factor(0, 10) == pytest.approx(math.exp(-5))
    assert rampup_factor(10, 10) == 1.0 == rampup_factor(50, 10)
    with pytest.raises(ValueError, match='mode must be one of'):
        UnsupWeightRampUpHook(rampup_iters=4, mode='cosine')
    with pytest.raises(ValueError, match='rampup_iters must be an int >= 1'):
        UnsupWeightRampUpHook(rampup_iters=0)
    with pytest.raises(ValueError, match='interval'):
        PseudoLabelHook(interval=-1)


@pytest.mark.parametrize('make, message', [
    (lambda: PseudoLabelHook(interval=-1),
     'PseudoLabelHook: interval must be an int >= 0, got -1'),
    (lambda: PseudoLabelHook(n_bins=0),
     'PseudoLabelHook: n_bins must be an int >= 1, got 0'),
    (lambda: PseudoLabelHook(n_bins=15.0),
     'PseudoLabelHook: n_bins must be an int >= 1, got 15.0'),
    (lambda: EMATeacherHook(interval=True),
     'EMATeacherHook: interval must be an int >= 1, got True'),
])
def test_int_arguments_are_checked_at_construction(make, message):
    with pytest.raises(ValueError) as err:
        make()
    assert str(err.value) == message


# ------------------------------------------------- statistics, real model step
def real_stash(seed=0):
    """One real PseudoSeg step on a preprocessed batch whose weak samples carry
    their ground truth (as when the extra pipeline loads masks)."""
    torch.manual_seed(seed)
    model = build(deeplabv3plus_r18())
    model.train()
    inputs, samples = make_semi_batch(n_sup=2, n_unsup=3, seed=seed)
    gen = torch.Generator().manual_seed(seed + 1)
    for k, sample in enumerate(samples['weak']):
        gt = torch.randint(0, 5, CROP, generator=gen).repeat_interleave(2, 0)
        gt = gt.repeat_interleave(2, 1)[:64, :64]
        if k == 1:
            continue  # one sample without ground truth
        gt[:3] = 255
        sample.gt_sem_seg = PixelData(data=gt[None])
    model.record_pseudo_labels(True)
    model.loss(inputs, samples)
    return model, model.recorded_pseudo_labels()


def test_stats_match_numpy_reference_on_a_real_step():
    model, stash = real_stash()
    assert stash is not None and stash['pseudo_label'].shape[0] == 3
    stats = pseudo_label_stats(stash, num_classes=5)
    expected, n_scored = reference_stats(stash)
    assert n_scored > 0 and stats['gt_pixels'] == n_scored
    assert set(stats['scalars']) == set(expected)
    for name, value in expected.items():
        assert stats['scalars'][name] == pytest.approx(value, abs=1e-6), name
    fused = stash['pseudo_label'].argmax(1)[stash['valid_mask']]
    hist = np.bincount(fused.numpy(), minlength=5) / fused.numel() * 100
    np.testing.assert_allclose(stats['histogram'], hist)
    assert stats['valid_pixels'] == int(stash['valid_mask'].sum())


def test_stats_without_ground_truth_only_confidences():
    model, stash = real_stash(1)
    stash = dict(stash)
    stash['weak_samples'] = [copy.deepcopy(s) for s in stash['weak_samples']]
    for s in stash['weak_samples']:
        if 'gt_sem_seg' in s:
            del s.gt_sem_seg
    stats = pseudo_label_stats(stash)
    assert set(stats['scalars']) == {'conf_fused', 'conf_decoder', 'conf_sgc'}
    assert stats['gt_pixels'] == 0


def test_stats_and_panel_without_sgc_source():
    """A model without SGC head (decoder-only pseudo labels) stashes sgc_logits=None:
    statistics skip that source and the panel shows its tile as n/a."""
    _, stash = real_stash(3)
    stash = dict(stash, sgc_logits=None)
    with_sgc = pseudo_label_stats(real_stash(3)[1], num_classes=5)
    stats = pseudo_label_stats(stash, num_classes=5)
    assert not any(name.endswith('_sgc') for name in stats['scalars'])
    assert stats['scalars'] == {k: v for k, v in with_sgc['scalars'].items()
                                if not k.endswith('_sgc')}
    hook = PseudoLabelHook()
    panel = hook.make_panel(stash, 0, None, [[0, 0, 0]] * 5)
    full = hook.make_panel(real_stash(3)[1], 0, None, [[0, 0, 0]] * 5)
    assert panel.shape == full.shape




def test_histogram_text_is_compact():
    hist = np.array([50.0, 0.0, 30.0, 20.0])
    assert format_histogram(hist, ['bg', 'a', 'b', 'c']) == 'bg 50.0%, b 30.0%, c 20.0%'
    assert format_histogram(hist, ['bg', 'a', 'b', 'c'], top=1) == \
        'bg 50.0%, +2 more (50.0%)'
    assert format_histogram(np.zeros(3)) == '(no valid pixel)'


def test_compose_panel_layout():
    tiles = [np.full((8, 10, 3), k * 40, np.uint8) for k in range(6)]
    panel = compose_panel(tiles)
    assert panel.shape == (TITLE_HEIGHT + 8, 6 * 10 + 5 * TILE_GAP, 3)
    for k in range(6):
        x0 = k * (10 + TILE_GAP)
        assert (panel[TITLE_HEIGHT:, x0:x0 + 10] == k * 40).all()
    # labels outside the palette and ignored pixels get the ignore colour
    assert colorize(np.array([[1, 7, 255]]), [[0, 0, 0], [1, 1, 1]]).tolist() == \
        [[[1, 1, 1], list(IGNORE_COLOUR), list(IGNORE_COLOUR)]]


# ------------------------------------------------------- the real Runner run
class RecordHook(Hook):
    """Records, per iteration, λ_u seen by the step and the model's stash."""
    priority = 'HIGH'  # after_train_iter: before PseudoLabelHook clears the stash

    def __init__(self):
        self.weights, self.kept, self.stashes, self.batches = [], [], {}, {}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.batches[runner.iter + 1] = data_batch

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        model = runner.model
        self.weights.append(model.unsup_weight)
        stash = model.recorded_pseudo_labels()
        self.kept.append(stash is not None)
        if stash is not None:
            self.stashes[runner.iter + 1] = stash


def semi_runner_cfg(voc_root, work_dir, hook, model_type='PseudoSeg', num_classes=21,
                    extra_hooks=()):
    geometry = [dict(type='RandomResize', scale=(64, 48), ratio_range=(0.5, 1.5),
                     keep_ratio=True),
                dict(type='RandomCrop', crop_size=CROP, cat_max_ratio=1.0),
                dict(type='RandomFlip', prob=0.5)]
    labelled = dict(
        type='SemiVOCDataset', data_root=voc_root,
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')] +
        geometry + [dict(type='MultiView', branch_field=['sup', 'weak', 'strong'],
                         sup=[dict(type='PackSemiSegInputs')])])
    extra = dict(
        type='SemiVOCDataset', data_root=voc_root,
        ann_file='ImageSets/Segmentation/trainaug.txt',
        exclude_split='ImageSets/Segmentation/train.txt',
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                  dict(type='GenerateValidityMap')] + geometry + [
            dict(type='MultiView', branch_field=['sup', 'weak', 'strong'],
                 weak=[dict(type='PackSemiSegInputs')],
                 strong=[dict(type='StrongColorJitter'),
                         dict(type='RandomCutOut', prob=1.0, n_holes=1,
                              cutout_shape=(8, 8), fill_in=(124, 116, 104),
                              seg_fill_in=255),
                         dict(type='PackSemiSegInputs', seg_key='gt_valid_map')])])
    model = deeplabv3plus_r18(num_classes=num_classes, with_aux=False,
                              semi_train_cfg=dict(unsup_weight=2.0))
    model['type'] = model_type
    if model_type != 'PseudoSeg':
        model.pop('sgc_head')
        model.pop('semi_train_cfg')
    model['data_preprocessor'] = dict(
        type='SemiSegDataPreProcessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=255,
        size=CROP)
    return dict(
        default_scope='mmseg', work_dir=work_dir, model=model,
        train_dataloader=dict(
            batch_size=4, num_workers=0,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            batch_sampler=dict(type='SemiBatchSampler', labelled_per_gpu=2,
                               extra_per_gpu=2),
            dataset=dict(type='ConcatDataset', datasets=[labelled, extra])),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=4, val_interval=100),
        optim_wrapper=dict(type='OptimWrapper',
                           optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        default_hooks=dict(timer=dict(type='IterTimerHook'),
                           logger=dict(type='LoggerHook', interval=1),
                           checkpoint=None),
        custom_hooks=[hook, *extra_hooks],
        visualizer=dict(type='SegLocalVisualizer', name='pl_hook_test',
                        vis_backends=[dict(type='LocalVisBackend')]),
        randomness=dict(seed=0), log_level='INFO')


@pytest.fixture(scope='module')
def trained(voc_root, tmp_path_factory):
    from mmengine.config import Config
    from mmengine.runner import Runner
    work_dir = str(tmp_path_factory.mktemp('pl_hook'))
    cfg = Config(semi_runner_cfg(
        voc_root, work_dir, dict(type='PseudoLabelHook', interval=2, num_panels=2),
        extra_hooks=[dict(type='UnsupWeightRampUpHook', rampup_iters=4)]))
    runner = Runner.from_cfg(cfg)
    record = RecordHook()
    runner.register_hook(record)
    runner.train()
    return runner, record


def test_scalars_logged_on_logging_iterations_only(trained):
    runner, record = trained
    scalars = runner.message_hub.log_scalars
    names = [f'{m}_{s}' for m in ('acc', 'ece', 'conf')
             for s in ('fused', 'decoder', 'sgc')] + ['acc_strong']
    for name in names:
        buffer = scalars[f'train/pseudo_label/{name}']
        values = buffer.data[0]
        assert len(values) == 2, name  # iterations 2 and 4 of 4
        assert all(0 <= v <= 100 for v in values), name
    assert not [k for k in scalars if k.startswith('train/pseudo_label/')
                and k.split('/')[-1] not in names]
    # the logged values are those of the kept stash (recomputed independently)
    for i, it in enumerate((2, 4)):
        expected, _ = reference_stats(record.stashes[it])
        for name in names:
            got = scalars[f'train/pseudo_label/{name}'].data[0][i]
            assert got == pytest.approx(expected[name], abs=1e-6), (it, name)


def test_nothing_kept_on_other_iterations(trained):
    runner, record = trained
    assert record.kept == [False, True, False, True]
    assert sorted(record.stashes) == [2, 4]
    assert runner.model.recorded_pseudo_labels() is None
    dirs = sorted(osp.basename(d) for d in
                  glob.glob(osp.join(runner.work_dir, 'pseudo_labels', 'iter_*')))
    assert dirs == ['iter_000002', 'iter_000004']


def test_rampup_sets_unsup_weight(trained):
    runner, record = trained
    expected = [2.0 * math.exp(-5 * (1 - i / 4) ** 2) for i in range(4)]
    np.testing.assert_allclose(record.weights, expected)
    # the weight the hook set is logged
    used = runner.message_hub.log_scalars['train/unsup_weight'].data[0]
    np.testing.assert_allclose(used, expected, rtol=1e-6)


def test_panels_have_six_tiles_with_the_right_content(trained):
    runner, record = trained
    palette = runner.visualizer.dataset_meta['palette']
    for it in (2, 4):
        stash = record.stashes[it]
        files = sorted(glob.glob(osp.join(runner.work_dir, 'pseudo_labels',
                                          f'iter_{it:06d}', '*.png')))
        assert len(files) == 2
        for k, path in enumerate(files):
            sample = stash['weak_samples'][k]
            name = osp.splitext(osp.basename(sample.img_path))[0]
            assert osp.basename(path) == f'{k}_{name}.png'
            panel = np.array(Image.open(path).convert('RGB'))
            scale = 128 // CROP[0]
            tile = CROP[0] * scale
            assert len(PANEL_TITLES) == 6
            assert panel.shape == (TITLE_HEIGHT + tile, 6 * tile + 5 * TILE_GAP, 3)
            tiles = [panel[TITLE_HEIGHT:, j * (tile + TILE_GAP):
                           j * (tile + TILE_GAP) + tile] for j in range(6)]

            def up(a):
                return a.repeat(tile // a.shape[0], 0).repeat(tile // a.shape[1], 1)

            # image: the weak view of the batch (BGR uint8 -> RGB), unpadded here
            weak_raw = [x for x in record.batches[it]['inputs']['weak']
                        if x is not None][k].numpy().transpose(1, 2, 0)[..., ::-1]
            canvas = np.zeros(CROP + (3, ), np.uint8)
            canvas[:weak_raw.shape[0], :weak_raw.shape[1]] = weak_raw
            np.testing.assert_array_equal(tiles[0], up(canvas))
            for j, key in enumerate(('decoder_logits', 'sgc_logits', 'pseudo_label',
                                     'strong_logits'), start=1):
                lab = stash[key][k].argmax(0).numpy()
                if key == 'pseudo_label':
                    lab = np.where(stash['valid_mask'][k].numpy(), lab, 255)
                np.testing.assert_array_equal(tiles[j], up(colorize(lab, palette)),
                                              err_msg=f'{path} tile {j}')
            gt = sample.gt_sem_seg.data[0].numpy()
            np.testing.assert_array_equal(tiles[5], up(colorize(gt, palette)))
        # the same panels went to the visualizer backend (LocalVisBackend)
        vis = glob.glob(osp.join(runner.log_dir, 'vis_data', 'vis_image',
                                 f'pseudo_label_*_{it}.png'))
        assert len(vis) == 2


def test_image_falls_back_to_the_file_without_the_batch(trained):
    runner, record = trained
    hook = [h for h in runner.hooks if isinstance(h, PseudoLabelHook)][0]
    samples = record.stashes[2]['weak_samples']
    images = hook._weak_images(None, samples)
    for image, sample in zip(images, samples):
        original = np.array(Image.open(sample.img_path).convert('RGB'))
        assert image.shape == CROP + (3, )
        # the whole file squeezed to the input grid: its mean colour survives
        np.testing.assert_allclose(image.mean((0, 1)), original.mean((0, 1)), atol=6)
    panel = hook.make_panel(record.stashes[2], 0, images[0],
                            runner.visualizer.dataset_meta['palette'])
    assert panel.shape == (TITLE_HEIGHT + 128, 6 * 128 + 5 * TILE_GAP, 3)


def test_hook_refuses_a_model_without_the_stash(voc_root, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = semi_runner_cfg(voc_root, str(tmp_path), dict(type='PseudoLabelHook'),
                          model_type='EncoderDecoder')
    cfg['visualizer']['name'] = 'pl_hook_test_refuse'
    runner = Runner.from_cfg(Config(cfg))
    with pytest.raises(TypeError, match='EncoderDecoder has no `record_pseudo_labels`'):
        runner.train()


def test_class_count_check_refuses_a_dataset_with_more_classes_than_the_model(
        voc_root, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = semi_runner_cfg(voc_root, str(tmp_path), dict(type='ClassCountCheckHook'),
                          num_classes=5)
    cfg['visualizer']['name'] = 'pl_hook_test_classes'
    runner = Runner.from_cfg(Config(cfg))
    with pytest.raises(ValueError, match=r'SemiVOCDataset\(.*train.txt\) has 21 '
                                         r'classes but the model predicts 5'):
        runner.train()
    assert runner.iter == 0  # refused before the first step


def test_two_process_ddp_unwraps_the_model(voc_root, repo_root, tmp_path):
    """torchrun, 2 CPU ranks, DeviceAgnosticDDP: the hook reaches the PseudoSeg
    inside the wrapper; only rank 0 writes panels."""
    import os
    import socket
    import subprocess
    import sys
    from mmengine.config import Config
    cfg = semi_runner_cfg(voc_root, str(tmp_path / 'work'),
                          dict(type='PseudoLabelHook', interval=1, num_panels=2))
    cfg['train_cfg']['max_iters'] = 2
    cfg['custom_imports'] = dict(
        imports=['mmseg_pseudoseg', 'mmseg_pseudoseg.datasets.voc_semi'],
        allow_failed_imports=False)
    cfg['model_wrapper_cfg'] = dict(type='DeviceAgnosticDDP',
                                    find_unused_parameters=True)
    cfg['default_hooks']['logger']['log_metric_by_epoch'] = False
    cfg['log_processor'] = dict(by_epoch=False)
    path = str(tmp_path / 'pl_hook_ddp.py')
    Config(cfg).dump(path)
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1',
               PORT=str(port), PYTHON=sys.executable)
    proc = subprocess.run(['bash', 'tools/dist_train.sh', path, '2'], cwd=repo_root,
                          env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'Distributed training: True' in out
    assert out.count('pseudo_label/acc_fused') >= 2, out[-3000:]
    for it in (1, 2):
        pngs = glob.glob(str(tmp_path / 'work' / 'pseudo_labels' / f'iter_{it:06d}'
                             / '*.png'))
        assert len(pngs) == 2, pngs


def test_class_count_check_skips_an_extra_set_without_masks(voc_root):
    """An extra set built with with_masks=False (COCO images as extra data of a VOC
    model) has more classes than the model, but its masks are never read."""
    from mmengine.dataset import ConcatDataset
    from mmseg_pseudoseg.datasets.voc_semi import SemiVOCDataset
    from mmseg_pseudoseg.utils.config_checks import check_dataset_classes
    split = 'ImageSets/Segmentation/train.txt'
    extra = SemiVOCDataset(split, data_root=voc_root, with_masks=False,
                           pipeline=[])
    labelled = SemiVOCDataset(split, data_root=voc_root, pipeline=[])
    check_dataset_classes(ConcatDataset([extra]), num_classes=5)
    with pytest.raises(ValueError, match='has 21 classes but the model predicts 5'):
        check_dataset_classes(ConcatDataset([labelled, extra]), num_classes=5)
