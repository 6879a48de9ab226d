"""mmseg's own inference entry points on a PseudoSeg config and checkpoint.

``init_model`` + ``inference_model`` (single image, batch, ndarray), the
``MMSegInferencer``, and the calls of mmseg's ``demo/image_demo.py`` run on the smoke
config and a checkpoint trained by ``tools/train.py``, and agree with each other.
"""
import glob
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
    """mmseg's APIs read the top-level ``test_pipeline``; ``--tta`` the
    ``tta_pipeline``. Every config has both; the test pipeline is the test loader's."""
    paths = glob.glob(osp.join(repo_root, 'configs', 'pseudoseg', '**', '*.py'),
                      recursive=True)
    paths = [p for p in paths if '_base_' not in p]
    assert len(paths) >= 48
    for path in paths:
        cfg = Config.fromfile(path)
        assert [t['type'] for t in cfg.test_pipeline] == [
            'LoadImageFromFile', 'LoadAnnotations', 'PackSegInputs'], path
        assert cfg.test_pipeline == cfg.test_dataloader.dataset.pipeline, path
        assert cfg.tta_pipeline[1]['type'] == 'TestTimeAug', path


def test_init_model_and_inference_model(model, images):
    assert type(model).__name__ == 'PseudoSeg'
    assert model.dataset_meta['classes'][0] == 'background'  # from the checkpoint
    single = inference_model(model, images[0])
    # a batch (mmseg batches images of one size only)
    batch = inference_model(model, [images[0], images[0]])
    array = inference_model(model, mmcv.imread(images[0]))  # BGR, as loaded
    h, w = mmcv.imread(images[0]).shape[:2]
    assert single.pred_sem_seg.data.shape == (1, h, w)
    assert single.seg_logits.data.shape == (21, h, w)
    assert len(batch) == 2
    for other in (batch[0], array):
        assert np.array_equal(other.pred_sem_seg.data.numpy(),
                              single.pred_sem_seg.data.numpy())


def test_mmseg_inferencer(trained_pseudoseg, model, images, tmp_path):
    cfg = Config.fromfile(trained_pseudoseg['config'])
    cfg.merge_from_dict(trained_pseudoseg['cfg_options'])
    inferencer = MMSegInferencer(model=cfg, weights=trained_pseudoseg['checkpoint'],
                                 device='cpu')
    out = inferencer(images, out_dir=str(tmp_path))
    # arrays: mmseg's inference_model keeps the ndarray loader in model.cfg once
    # it has seen an array (the test above gives it one)
    expected = [inference_model(model, mmcv.imread(image)) for image in images]
    assert len(out['predictions']) == len(images)
    for got, want in zip(out['predictions'], expected):
        assert np.array_equal(np.asarray(got), want.pred_sem_seg.data[0].numpy())
    painted = sorted(os.listdir(tmp_path / 'vis'))
    assert painted == sorted(osp.basename(p) for p in images)


# mmseg's demo/image_demo.py, as a user script: no import of this package (the
# config's custom_imports brings it in), init_model from the file names.
IMAGE_DEMO = r'''
import sys
from mmseg.apis import inference_model, init_model, show_result_pyplot
image, config, checkpoint, out_file = sys.argv[1:]
model = init_model(config, checkpoint, device='cpu')
result = inference_model(model, image)
show_result_pyplot(model, image, result, title='result', opacity=0.5,
                   draw_gt=False, show=False, out_file=out_file)
print(type(model).__name__, 'mmseg_pseudoseg' in sys.modules)
'''


def test_mmseg_image_demo_script(trained_pseudoseg, images, tmp_path):
    script = tmp_path / 'image_demo.py'
    script.write_text(IMAGE_DEMO)
    out_file = str(tmp_path / 'demo.png')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.run(
        [sys.executable, str(script), images[0], trained_pseudoseg['config'],
         trained_pseudoseg['checkpoint'], out_file],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == 'PseudoSeg True'
    h, w = mmcv.imread(images[0]).shape[:2]
    assert Image.open(out_file).size == (w, h)
