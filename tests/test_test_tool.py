"""``tools/test.py``: every option and every evaluation protocol on a trained
checkpoint, and the errors for a checkpoint that is unreadable or of another config.
"""
import glob
import os
import os.path as osp
import subprocess
import sys

import mmcv
import numpy as np
import pytest
from PIL import Image

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg.apis import inference_model, init_model
from mmseg_pseudoseg.apis import EVAL_PROTOCOLS, apply_eval_protocol
from tool_module import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
EVAL_CROP = 32  # smaller than the 48 x 64 images, so crops and windows matter


test_tool = load_tool('test.py', 'pseudoseg_test_tool')


def argv(trained, tmp_path, *extra, crop=EVAL_CROP):
    """tools/test.py arguments for the trained checkpoint, with names of the run's
    visualizer and logger of its own (several Runners share this process)."""
    tag = tmp_path.name
    return [trained['config'], trained['checkpoint'], '--work-dir',
            str(tmp_path / 'work'), *extra, '--cfg-options',
            *trained['opts'][1:], f'experiment_name=test_{tag}',
            f'visualizer.name=vis_{tag}',
            f'model.data_preprocessor.test_cfg.size=({crop},{crop})']


def val_images(voc_root):
    ids = open(osp.join(voc_root, 'ImageSets', 'Segmentation', 'val.txt')).read().split()
    return {i: mmcv.imread(osp.join(voc_root, 'JPEGImages', i + '.jpg')) for i in ids}


def test_out_writes_one_prediction_per_image(trained_pseudoseg, voc_root, tmp_path):
    """--out with the list evaluator (IoU + ECE): one label PNG per val image, equal
    to mmseg's inference_model on the same checkpoint."""
    out = tmp_path / 'preds'
    metrics = test_tool.main(argv(trained_pseudoseg, tmp_path, '--out', str(out)))
    assert {'mIoU', 'ECE'} <= set(metrics)
    images = val_images(voc_root)
    assert sorted(os.listdir(out)) == sorted([i + '.png' for i in images] +
                                             ['reliability.json'])  # ECE's bins
    cfg = test_tool.build_cfg(test_tool.parse_args(argv(trained_pseudoseg, tmp_path)))
    model = init_model(cfg, trained_pseudoseg['checkpoint'], device='cpu')
    for img_id, image in images.items():
        pred = np.asarray(Image.open(out / f'{img_id}.png'))
        want = inference_model(model, image).pred_sem_seg.data[0].numpy()
        assert np.array_equal(pred, want), img_id


@pytest.mark.parametrize('interval, painted', [(None, 6), (4, 1)])
def test_show_dir_paints_every_image_by_default(interval, painted, trained_pseudoseg,
                                                tmp_path):
    extra = ['--show-dir', str(tmp_path / 'vis')]
    if interval:
        extra += ['--interval', str(interval)]
    test_tool.main(argv(trained_pseudoseg, tmp_path, *extra))
    files = glob.glob(str(tmp_path / 'vis' / '**' / '*.png'), recursive=True)
    assert len(files) == painted, files


def test_tta_is_mmseg_multi_scale_flip(trained_pseudoseg, tmp_path):
    args = test_tool.parse_args(argv(trained_pseudoseg, tmp_path, '--tta'))
    cfg = test_tool.build_cfg(args)
    assert cfg.model.type == 'SegTTAModel' and cfg.model.module.type == 'PseudoSeg'
    scales, flips = cfg.test_dataloader.dataset.pipeline[1]['transforms'][:2]
    assert [t['scale_factor'] for t in scales] == [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
    assert [t['prob'] for t in flips] == [0.0, 1.0]
    # SegTTAModel keeps no merged logits: the ECE metric is left out, mIoU stays
    assert [m['type'] for m in [cfg.test_evaluator]] == ['IoUMetric']
    metrics = test_tool.main(argv(trained_pseudoseg, tmp_path, '--tta'))
    assert 'mIoU' in metrics and 'ECE' not in metrics


def manual_flip_probs(model, image):
    """mean of softmax(image) and un-flipped softmax(flipped image): (C, H, W)."""
    plain = inference_model(model, image).seg_logits.data.softmax(0)
    flipped = inference_model(model, np.ascontiguousarray(image[:, ::-1]))
    return (plain + flipped.seg_logits.data.softmax(0).flip(-1)) / 2


@pytest.mark.parametrize('protocol', EVAL_PROTOCOLS)
def test_every_protocol_runs(protocol, trained_pseudoseg, voc_root, tmp_path):
    out = tmp_path / 'preds'
    metrics = test_tool.main(argv(trained_pseudoseg, tmp_path, '--protocol', protocol,
                                  '--out', str(out)))
    assert 0.0 <= metrics['mIoU'] <= 100.0
    assert ('ECE' in metrics) == (protocol not in ('flip', 'ms-flip'))
    images = val_images(voc_root)
    preds = {i: np.asarray(Image.open(out / f'{i}.png')) for i in images}
    for img_id, image in images.items():
        expected = (EVAL_CROP, EVAL_CROP) if protocol == 'centre-crop' \
            else image.shape[:2]
        assert preds[img_id].shape == expected, (protocol, img_id)
    cfg = test_tool.build_cfg(test_tool.parse_args(argv(trained_pseudoseg, tmp_path)))
    if protocol == 'flip':  # = the mean of the two softmax maps, exactly
        model = init_model(cfg, trained_pseudoseg['checkpoint'], device='cpu')
        for img_id, image in images.items():
            expected = manual_flip_probs(model, image).argmax(0).numpy()
            assert np.array_equal(preds[img_id], expected), img_id
    if protocol == 'slide':
        apply_eval_protocol(cfg, 'slide')
        assert cfg.model.test_cfg == dict(mode='slide', crop_size=(32, 32),
                                          stride=(21, 21))


def test_unknown_protocol_is_named():
    from mmengine.config import Config
    with pytest.raises(ValueError, match="unknown eval protocol 'tta'; choose one of "
                       'paper, whole, slide, centre-crop'):
        apply_eval_protocol(Config(dict()), 'tta')


def run_tool(args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, 'tools/test.py'] + args, cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def test_truncated_checkpoint_is_named(trained_pseudoseg, tmp_path):
    data = open(trained_pseudoseg['checkpoint'], 'rb').read()
    bad = tmp_path / 'cut.pth'
    bad.write_bytes(data[:len(data) // 3])
    proc = run_tool([trained_pseudoseg['config'], str(bad)] + trained_pseudoseg['opts'])
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'CheckpointError: checkpoint {bad} cannot be read '), last
    assert 'truncated' in last


def test_checkpoint_of_another_config_names_the_keys(trained_pseudoseg, tmp_path):
    """The smoke checkpoint (21 classes, 16-channel head) under 5 classes."""
    proc = run_tool([trained_pseudoseg['config'], trained_pseudoseg['checkpoint']] +
                    trained_pseudoseg['opts'] + ['model.decode_head.num_classes=5'])
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'CheckpointError: checkpoint '
                           f'{trained_pseudoseg["checkpoint"]} does not fit'), last
    assert 'shape mismatch (2): decode_head.conv_seg.weight: checkpoint ' \
           '(21, 16, 1, 1) vs model (5, 16, 1, 1); decode_head.conv_seg.bias: ' \
           'checkpoint (21,) vs model (5,)' in last
    assert 'pass the config the checkpoint was trained with' in last
