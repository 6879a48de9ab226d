"""``tools/infer.py``: mask PNGs always and overlays on request for a folder,
unreadable images reported by name without stopping the rest, a bad checkpoint
named."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import mmcv
import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg.apis import inference_model, init_model
from synthetic_voc import VOC_PALETTE
from tool_module import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


tool = load_tool('infer.py', 'pseudoseg_infer_tool')


def run_infer(args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, 'tools/infer.py'] + args, cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def folder(voc_root, tmp_path):
    """3 images (one in a sub-folder), 2 unreadable ones, 1 file that is no image."""
    src = osp.join(voc_root, 'JPEGImages')
    names = sorted(os.listdir(src))[:3]
    root = tmp_path / 'images'
    (root / 'sub').mkdir(parents=True)
    good = {'a.jpg': names[0], 'b.jpg': names[1], 'sub/c.jpg': names[2]}
    for rel, name in good.items():
        shutil.copyfile(osp.join(src, name), root / rel)
    (root / 'broken.jpg').write_bytes(b'\xff\xd8 this is not a jpeg')
    (root / 'sub' / 'empty.png').write_bytes(b'')
    (root / 'notes.txt').write_text('not an image')
    return root, sorted(good)


@pytest.fixture(scope='module')
def model(trained_pseudoseg):
    return init_model(Config.fromfile(trained_pseudoseg['config']),
                      trained_pseudoseg['checkpoint'], device='cpu')


def test_folder_masks_and_overlay(trained_pseudoseg, folder, model, tmp_path):
    root, good = folder
    out = tmp_path / 'out'
    proc = run_infer([trained_pseudoseg['config'], trained_pseudoseg['checkpoint'],
                      str(root), str(out), '--overlay'])
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert '5/5' in proc.stdout and 'ETA' in proc.stdout  # progress over 5 images
    assert 'wrote 3 image(s) (mask PNG + overlay)' in proc.stdout
    assert 'skipped 2 unreadable' in proc.stdout
    last = proc.stderr.strip().splitlines()[-1]
    assert last == '2 unreadable image(s): broken.jpg, sub/empty.png', last
    for rel in good:
        stem = osp.splitext(rel)[0]
        png = Image.open(out / f'{stem}.png')
        assert png.mode == 'P'
        image = mmcv.imread(str(root / rel))
        pred = np.asarray(png)
        want = inference_model(model, image).pred_sem_seg.data[0].numpy()
        assert np.array_equal(pred, want), rel
        colours = np.asarray(png.convert('RGB'))
        assert np.array_equal(colours, np.asarray(VOC_PALETTE, np.uint8)[pred])
        overlay = mmcv.imread(str(out / f'{stem}_overlay.jpg'))
        legend = tool.class_legend(model.dataset_meta['classes'], VOC_PALETTE,
                                   image.shape[1], np.unique(pred))
        assert overlay.shape == (image.shape[0] + legend.shape[0], ) + image.shape[1:]
    written = sorted(os.path.relpath(osp.join(d, f), out)
                     for d, _, files in os.walk(out) for f in files)
    assert written == ['a.png', 'a_overlay.jpg', 'b.png', 'b_overlay.jpg',
                       'sub/c.png', 'sub/c_overlay.jpg']


def test_masks_without_overlay_and_the_overlay_blend(trained_pseudoseg, folder,
                                                     tmp_path):
    out = tmp_path / 'out'
    proc = run_infer([trained_pseudoseg['config'], trained_pseudoseg['checkpoint'],
                      str(folder[0]), str(out)])
    assert 'wrote 3 image(s) (mask PNG)' in proc.stdout
    written = sorted(os.path.relpath(osp.join(d, f), out)
                     for d, _, files in os.walk(out) for f in files)
    assert written == ['a.png', 'b.png', 'sub/c.png']
    # the overlay blends only where a palette colour exists (255 stays the image)
    image = np.full((2, 2, 3), 100, np.uint8)
    pred = np.array([[0, 1], [255, 2]])
    blended = tool.overlay_image(image, pred, np.asarray(VOC_PALETTE, np.uint8), 0.5)
    assert blended[1, 0].tolist() == [100, 100, 100]
    assert blended[0, 1].tolist() == [50, 50, 114]  # (100 + BGR(0, 0, 128)) / 2


def test_truncated_checkpoint_is_named(trained_pseudoseg, folder, tmp_path):
    data = open(trained_pseudoseg['checkpoint'], 'rb').read()
    bad = tmp_path / 'cut.pth'
    bad.write_bytes(data[:len(data) // 2])
    proc = run_infer([trained_pseudoseg['config'], str(bad), str(folder[0]),
                      str(tmp_path / 'out')])
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'CheckpointError: checkpoint {bad} cannot be read '), last
    assert 'truncated' in last
