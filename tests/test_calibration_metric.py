"""ECE functions and ``CalibrationMetric`` (pseudo-label diagnostics).

The reference is a direct NumPy transcription of the definition
ECE = sum_b |B_b|/n * |acc(B_b) - conf(B_b)| with bins ((b-1)/M, b/M].
"""
import json
import os
import os.path as osp
import socket

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from mmseg.registry import METRICS

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg_pseudoseg.evaluation import (CalibrationMetric, calibration_bins,
                                        ece_from_bins, expected_calibration_error,
                                        load_reliability, merge_bins)


def reference_ece(probs, labels, n_bins=15, ignore_index=255, valid=None):
    """Direct reading of the definition, one bin at a time (NumPy, float64)."""
    probs = np.asarray(probs, np.float64)
    labels = np.asarray(labels)
    conf = probs.max(axis=1).ravel()
    pred = probs.argmax(axis=1).ravel()
    lab = labels.ravel()
    keep = lab != ignore_index
    if valid is not None:
        keep &= np.asarray(valid, bool).ravel()
    conf, correct = conf[keep], (pred == lab)[keep]
    n = len(conf)
    ece = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        in_bin = (conf > lo) & (conf <= hi)
        if b == 0:
            in_bin |= conf == 0
        if in_bin.any():
            ece += in_bin.sum() / n * abs(correct[in_bin].mean() - conf[in_bin].mean())
    return ece


def random_case(seed, n=2, c=5, h=7, w=9, ignore_frac=0.2, sharp=3.0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, c, h, w)) * sharp
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = rng.integers(0, c, size=(n, h, w))
    # make the prediction right more often than chance
    right = rng.random((n, h, w)) < 0.6
    labels[right] = probs.argmax(1)[right]
    labels[rng.random((n, h, w)) < ignore_frac] = 255
    return logits, probs, labels


@pytest.mark.parametrize('seed,n_bins', [(0, 15), (1, 15), (2, 10), (3, 1)])
def test_ece_matches_reference(seed, n_bins):
    _, probs, labels = random_case(seed)
    expected = reference_ece(probs, labels, n_bins)
    assert expected > 0
    got_np = expected_calibration_error(probs, labels, n_bins=n_bins)
    got_t = expected_calibration_error(torch.from_numpy(probs),
                                       torch.from_numpy(labels), n_bins=n_bins)
    assert got_np == pytest.approx(expected, abs=1e-12)
    assert got_t == pytest.approx(expected, abs=1e-12)


def test_valid_mask_drops_pixels():
    _, probs, labels = random_case(4)
    valid = np.random.default_rng(5).random(labels.shape) < 0.7
    expected = reference_ece(probs, labels, valid=valid)
    assert expected != pytest.approx(reference_ece(probs, labels))
    assert expected_calibration_error(probs, labels, valid=valid) == \
        pytest.approx(expected, abs=1e-12)


def test_bins_put_edges_in_the_lower_bin():
    conf = np.array([0.0, 1 / 15, 1 / 15 + 1e-9, 0.5, 1.0])
    correct = np.array([False, True, True, False, True])
    # class 0 scores the confidence, class 1 scores 0: the prediction is class 0
    probs = np.stack([conf, np.zeros_like(conf)])[None]  # (1, 2, 5)
    labels = np.where(correct, 0, 1)[None]
    bins = calibration_bins(probs, labels, n_bins=15)
    assert bins['counts'].tolist() == [2, 1] + [0] * 5 + [1] + [0] * 6 + [1]
    assert bins['correct_sums'].tolist() == [1, 1] + [0] * 5 + [0] + [0] * 6 + [1]
    np.testing.assert_allclose(bins['conf_sums'][[0, 1, 7, 14]],
                               [1 / 15, 1 / 15 + 1e-9, 0.5, 1.0])


def test_extremes():
    labels = np.array([[0, 1, 2, 255]])
    one_hot = np.eye(3)[[0, 1, 2, 0]].T[None]  # (1, 3, 4), conf = 1 everywhere
    assert expected_calibration_error(one_hot[..., None], labels[..., None]) == 0.0
    wrong = np.eye(3)[[1, 2, 0, 0]].T[None]
    assert expected_calibration_error(wrong[..., None], labels[..., None]) == 1.0
    all_ignored = np.full((1, 4, 1), 255)
    assert np.isnan(expected_calibration_error(one_hot[..., None], all_ignored))


def test_bins_add_up_over_images():
    _, probs, labels = random_case(6, n=4)
    parts = [calibration_bins(probs[i:i + 1], labels[i:i + 1]) for i in range(4)]
    merged = merge_bins(*parts)
    assert ece_from_bins(merged) == pytest.approx(reference_ece(probs, labels),
                                                  abs=1e-12)
    assert merged['counts'].sum() == (labels != 255).sum()


# ---------------------------------------------------------------- the metric

def seg_outputs(logits, labels, names=None):
    """Output data samples as the model's predict returns them (as dicts)."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    samples = []
    for i in range(len(logits)):
        s = SegDataSample(metainfo=dict(img_path=(names or {}).get(i, f'img{i}.jpg')))
        s.seg_logits = PixelData(data=torch.as_tensor(logits[i], dtype=torch.float32))
        s.pred_sem_seg = PixelData(data=torch.as_tensor(logits[i]).argmax(0)[None])
        s.gt_sem_seg = PixelData(data=torch.as_tensor(labels[i])[None].long())
        samples.append(s)
    return samples


def test_metric_next_to_iou_metric(tmp_path):
    from mmengine.evaluator import Evaluator
    logits, _, labels = random_case(7, n=3, c=4, h=11, w=13)
    evaluator = Evaluator([
        METRICS.build(cfg) for cfg in (
            dict(type='IoUMetric', iou_metrics=['mIoU']),
            dict(type='CalibrationMetric', n_bins=15, output_dir=str(tmp_path)))])
    evaluator.dataset_meta = dict(classes=('a', 'b', 'c', 'd'))
    # two batches of different size
    evaluator.process(seg_outputs(logits[:2], labels[:2]))
    evaluator.process(seg_outputs(logits[2:], labels[2:]))
    metrics = evaluator.evaluate(3)
    assert 'mIoU' in metrics and 'ECE' in metrics
    probs32 = torch.as_tensor(logits, dtype=torch.float32).softmax(1).double()
    expected = reference_ece(probs32.numpy(), labels)
    assert metrics['ECE'] == round(expected * 100, 2)
    table = load_reliability(str(tmp_path / 'reliability.json'))
    assert table['n_bins'] == 15 and table['num_images'] == 3
    assert table['counts'].sum() == (labels != 255).sum()
    assert table['ece'] == pytest.approx(expected, abs=1e-6)


def test_metric_one_channel_logits_are_sigmoid(tmp_path):
    from mmengine.evaluator import Evaluator
    rng = np.random.default_rng(8)
    logits = rng.normal(size=(2, 1, 6, 6)) * 2
    labels = rng.integers(0, 2, size=(2, 6, 6))
    evaluator = Evaluator(
        METRICS.build(dict(type='CalibrationMetric', output_dir=str(tmp_path))))
    evaluator.process(seg_outputs(logits, labels))
    fg = torch.as_tensor(logits, dtype=torch.float32).sigmoid().double().numpy()
    probs = np.concatenate([1 - fg, fg], axis=1)
    assert evaluator.evaluate(2)['ECE'] == round(reference_ece(probs, labels) * 100, 2)


def test_metric_errors_name_the_image():
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    metric = CalibrationMetric()
    sample = SegDataSample(metainfo=dict(img_path='a/b/2007_000033.jpg'))
    sample.seg_logits = PixelData(data=torch.zeros(3, 4, 4))
    with pytest.raises(KeyError, match='2007_000033.jpg has no `gt_sem_seg`'):
        metric.process({}, [sample.to_dict()])
    with pytest.raises(ValueError, match='n_bins'):
        CalibrationMetric(n_bins=0)


def test_metric_in_real_runner_val(voc_root, tmp_path):
    """A stock EncoderDecoder evaluated by the Runner: IoU and ECE side by side,
    reliability.json in the run's log dir."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    crop = (32, 32)
    norm = dict(type='BN', requires_grad=True)
    cfg = Config(dict(
        default_scope='mmseg',
        work_dir=str(tmp_path / 'work'),
        model=dict(
            type='EncoderDecoder',
            data_preprocessor=dict(type='SegDataPreProcessor',
                                   mean=[123.675, 116.28, 103.53],
                                   std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
                                   pad_val=0, seg_pad_val=255),
            backbone=dict(type='ResNetV1c', depth=18, base_channels=8,
                          stem_channels=8, num_stages=4, out_indices=(3, ),
                          norm_cfg=norm),
            decode_head=dict(type='FCNHead', in_channels=64, channels=8,
                             num_convs=1, num_classes=21, norm_cfg=norm,
                             in_index=0, concat_input=False,
                             loss_decode=dict(type='CrossEntropyLoss')),
            test_cfg=dict(mode='whole')),
        val_dataloader=dict(
            batch_size=1, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type='PascalVOCDataset', data_root=voc_root,
                         data_prefix=dict(img_path='JPEGImages',
                                          seg_map_path='SegmentationClass'),
                         ann_file='ImageSets/Segmentation/val.txt',
                         pipeline=[dict(type='LoadImageFromFile'),
                                   dict(type='Resize', scale=crop, keep_ratio=True),
                                   dict(type='LoadAnnotations'),
                                   dict(type='PackSegInputs')])),
        val_evaluator=[dict(type='IoUMetric', iou_metrics=['mIoU']),
                       dict(type='CalibrationMetric', n_bins=15)],
        val_cfg=dict(type='ValLoop'),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
        log_level='WARNING'))
    runner = Runner.from_cfg(cfg)
    metrics = runner.val()
    assert {'mIoU', 'ECE'} <= set(metrics)
    assert 0 < metrics['ECE'] <= 100
    found = [osp.join(d, f) for d, _, fs in os.walk(cfg.work_dir) for f in fs
             if f == 'reliability.json']
    assert len(found) == 1 and osp.dirname(found[0]) == runner.log_dir
    with open(found[0]) as f:
        table = json.load(f)
    # every labelled val pixel at original size (48x64) is counted once
    from PIL import Image
    ids = open(osp.join(voc_root, 'ImageSets/Segmentation/val.txt')).read().split()
    n_pix = sum((np.array(Image.open(osp.join(voc_root, 'SegmentationClass',
                                              i + '.png'))) != 255).sum() for i in ids)
    assert table['num_pixels'] == n_pix and table['num_images'] == len(ids)
    assert table['ece'] * 100 == pytest.approx(metrics['ECE'], abs=0.006)


# ---------------------------------------------------------------- two ranks

def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _rank_worker(rank, world_size, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port),
                      RANK=str(rank), WORLD_SIZE=str(world_size))
    torch.set_num_threads(1)
    import torch.distributed as dist
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    try:
        from mmseg_pseudoseg.evaluation import CalibrationMetric as Metric
        logits, _, labels = random_case(9, n=5, c=4, h=6, w=7)
        # DefaultSampler order on 2 ranks: rank r gets r, r+2, ...; the padded
        # 6th sample repeats image 0 and must be dropped by evaluate(size=5)
        idx = [0, 2, 4] if rank == 0 else [1, 3, 0]
        metric = Metric(output_dir=out_dir, collect_device='cpu')
        metric.process({}, [s.to_dict() for s in seg_outputs(logits[idx],
                                                             labels[idx])])
        result = metric.evaluate(5)
        with open(osp.join(out_dir, f'rank{rank}.json'), 'w') as f:
            json.dump(result, f)
    finally:
        dist.destroy_process_group()


def test_metric_gathers_bins_across_two_ranks(tmp_path):
    mp.spawn(_rank_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2)
    logits, _, labels = random_case(9, n=5, c=4, h=6, w=7)
    probs32 = torch.as_tensor(logits, dtype=torch.float32).softmax(1).double()
    expected = round(reference_ece(probs32.numpy(), labels) * 100, 2)
    for rank in (0, 1):
        with open(tmp_path / f'rank{rank}.json') as f:
            assert json.load(f) == {'ECE': expected}
    table = load_reliability(str(tmp_path / 'reliability.json'))
    assert table['num_images'] == 5
    assert table['counts'].sum() == (labels != 255).sum()
