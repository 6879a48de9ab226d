"""mmseg's own inference entry points on a PseudoSeg config and checkpoint.

``init_model`` + ``inference_model`` (single image, batch, ndarray), the
``MMSegInferencer``, and mmseg's ``demo/image_demo.py`` run on the smoke config and a
checkpoint trained by ``tools/train.py``, and agree with each other exactly.
"""
import os
import os.path as osp
import subprocess
import sys

import mmcv
import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg.apis import MMSegInferencer, inference_model, init_model

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='module')
def model(trained_pseudoseg):
    cfg = Config.fromfile(trained_pseudoseg['config'])
    cfg.merge_from_dict(trained_pseudoseg['cfg_options'])
    return init_model(cfg, trained_pseudoseg['checkpoint'], device='cpu')


@pytest.fixture(scope='module')
def images(voc_root):
    names = sorted(os.listdir(osp.join(voc_root, 'JPEGImages')))[:3]
    return [osp.join(voc_root, 'JPEGImages', n) for n in names]


def test_every_config_defines_a_test_pipeline(repo_root):
    """mmseg's APIs read the top-level ``test_pipeline`` of a config."""
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'pseudoseg',
                                   'deeplabv3plus_xception65_coco_1-32.py'))
    assert [t['type'] for t in cfg.test_pipeline] == [
        'LoadImageFromFile', 'LoadAnnotations', 'PackSegInputs']
    assert cfg.test_pipeline == cfg.test_dataloader.dataset.pipeline


def test_init_model_and_inference_model(model, images):
    assert type(model).__name__ == 'PseudoSeg'
    assert model.dataset_meta['classes'][0] == 'background'  # from the checkpoint
    single = inference_model(model, images[0])
    batch = inference_model(model, images)
    array = inference_model(model, mmcv.imread(images[0]))  # BGR, as loaded
    h, w = mmcv.imread(images[0]).shape[:2]
    assert single.pred_sem_seg.data.shape == (1, h, w)
    assert single.seg_logits.data.shape == (21, h, w)
    assert len(batch) == len(images)
    for other in (batch[0], array):
        assert np.array_equal(other.pred_sem_seg.data.numpy(),
                              single.pred_sem_seg.data.numpy())


def test_mmseg_inferencer(trained_pseudoseg, model, images, tmp_path):
    cfg = Config.fromfile(trained_pseudoseg['config'])
    cfg.merge_from_dict(trained_pseudoseg['cfg_options'])
    inferencer = MMSegInferencer(model=cfg, weights=trained_pseudoseg['checkpoint'],
                                 device='cpu')
    out = inferencer(images, out_dir=str(tmp_path), return_datasamples=True)
    expected = inference_model(model, images)
    assert len(out['predictions']) == len(images)
    for got, want in zip(out['predictions'], expected):
        assert np.array_equal(got.pred_sem_seg.data.numpy(),
                              want.pred_sem_seg.data.numpy())
    painted = sorted(os.listdir(tmp_path / 'vis'))
    assert painted == sorted(osp.basename(p) for p in images)


def stock_demo():
    import mmseg
    for root in (osp.join(osp.dirname(mmseg.__file__), '.mim'),
                 osp.dirname(osp.dirname(mmseg.__file__))):
        path = osp.join(root, 'demo', 'image_demo.py')
        if osp.isfile(path):
            return path
    pytest.skip("mmseg's demo/image_demo.py is not installed with this mmseg")


def test_mmseg_image_demo_script(trained_pseudoseg, model, images, tmp_path):
    out_file = str(tmp_path / 'demo.png')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.run(
        [sys.executable, stock_demo(), images[0], trained_pseudoseg['config'],
         trained_pseudoseg['checkpoint'], '--device', 'cpu', '--out-file', out_file],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    h, w = mmcv.imread(images[0]).shape[:2]
    assert Image.open(out_file).size == (w, h)
