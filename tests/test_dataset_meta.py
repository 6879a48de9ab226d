"""Class names and palette from training to every output, and export of every
dataset kind.

A 3-class folder dataset whose ``classes.txt`` gives its own colours is trained by
``tools/train.py``; the checkpoint's ``meta.dataset_meta`` then drives mmseg's
``MMSegInferencer``, ``tools/infer.py`` and the exported model in a process that
never imports ``mmseg_pseudoseg`` (mmseg's ``show_result_pyplot``; the ONNX
metadata is checked in ``test_onnx_export.py``).
"""
import json
import os
import os.path as osp
import sys

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg.apis import MMSegInferencer, inference_model, init_model
from mmseg_pseudoseg.apis import export_stock_model, stock_config, trained_classes
from mmseg_pseudoseg.datasets.coco_object_semi import COCO_OBJECT_CLASSES
from mmseg_pseudoseg.visualization import voc_colormap as label_colormap
from synthetic_folder import CLASSES3, make_folder_tree
from test_export import run
from test_folder_dataset import TEN_LINE_CONFIG, TINY

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs', 'pseudoseg')
COLOURS = [[10, 20, 30], [250, 128, 0], [0, 200, 255]]  # none is a VOC colour


def folder_config(tmp_path, root, name='my_dataset.py') -> str:
    path = tmp_path / name
    path.write_text(TEN_LINE_CONFIG.format(repo=REPO, root=root) + TINY)
    return str(path)


@pytest.fixture(scope='module')
def folder_model(tmp_path_factory):
    """``dict(root, config, checkpoint)`` of 3 iterations of ``tools/train.py``."""
    tmp = tmp_path_factory.mktemp('folder_meta')
    root = make_folder_tree(str(tmp / 'data'), n_labelled=8, n_unlabelled=8, n_val=3,
                            colours=COLOURS)
    config = folder_config(tmp, root)
    work = str(tmp / 'work')
    proc = run([sys.executable, 'tools/train.py', config, '--work-dir', work],
               env_extra={'PYTHONPATH': REPO})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return dict(root=root, config=config, checkpoint=osp.join(work, 'iter_3.pth'))


def val_images(root):
    folder = osp.join(root, 'val', 'images')
    return [osp.join(folder, n) for n in sorted(os.listdir(folder))]


def test_training_writes_classes_and_palette(folder_model):
    meta = torch.load(folder_model['checkpoint'], weights_only=True)['meta']
    assert tuple(meta['dataset_meta']['classes']) == CLASSES3
    assert [list(c) for c in meta['dataset_meta']['palette']] == COLOURS


def test_mmseg_inferencer_paints_the_trained_colours(folder_model):
    config, ckpt = folder_model['config'], folder_model['checkpoint']
    plain = MMSegInferencer(model=config, weights=ckpt, device='cpu')
    assert tuple(plain.model.dataset_meta['classes']) == CLASSES3
    # mmseg's inferencer paints with Cityscapes' classes unless it is given them
    assert plain.visualizer.dataset_meta['classes'][0] == 'road'
    assert trained_classes(ckpt) == dict(classes=list(CLASSES3), palette=COLOURS)
    inferencer = MMSegInferencer(model=config, weights=ckpt, device='cpu',
                                 **trained_classes(ckpt))
    assert tuple(inferencer.visualizer.dataset_meta['classes']) == CLASSES3
    image = val_images(folder_model['root'])[0]
    out = inferencer(image, return_vis=True, opacity=1.0, with_labels=False)
    pred = np.asarray(out['predictions'])
    painted = out['visualization']  # RGB; opacity 1: the class colours alone
    np.testing.assert_array_equal(painted, np.asarray(COLOURS, np.uint8)[pred])


def test_infer_tool_writes_masks_and_overlays_with_a_legend(folder_model, tmp_path):
    out = tmp_path / 'out'
    images = osp.join(folder_model['root'], 'val', 'images')
    proc = run([sys.executable, 'tools/infer.py', folder_model['config'],
                folder_model['checkpoint'], images, str(out), '--overlay'])
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert 'wrote 3 image(s) (mask PNG + overlay)' in proc.stdout
    model = init_model(folder_model['config'], folder_model['checkpoint'], 'cpu')
    for path in val_images(folder_model['root']):
        stem = osp.splitext(osp.basename(path))[0]
        mask = Image.open(out / f'{stem}.png')
        pred = inference_model(model, path).pred_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(np.asarray(mask), pred)
        assert mask.getpalette()[:9] == sum(COLOURS, [])
        image = mmcv.imread(path)
        overlay = mmcv.imread(str(out / f'{stem}_overlay.jpg'))  # BGR
        assert overlay.shape[1] == image.shape[1]
        legend = overlay[image.shape[0]:]  # below the image: the class legend
        assert legend.shape[0] >= 16
        first = int(pred.min())  # its first swatch (JPEG: colours within 40)
        got = legend[8:10, 6:8].reshape(-1, 3)[:, ::-1].astype(int)
        assert np.abs(got - COLOURS[first]).max() <= 40, (got, COLOURS[first])


# Runs in a fresh interpreter: stock mmseg (+ onnxruntime) only.
STOCK = r'''
import json, sys
import numpy as np
from mmseg.apis import inference_model, init_model, show_result_pyplot
config, checkpoint, out, *images = sys.argv[1:]
model = init_model(config, checkpoint, device='cpu')
results = [inference_model(model, image) for image in images]
vis = show_result_pyplot(model, images[0], results[0], opacity=1.0, with_labels=False,
                         show=False, draw_gt=False)
np.savez(out, vis=vis, **{f'labels{i}': r.pred_sem_seg.data[0].numpy()
                          for i, r in enumerate(results)})
assert 'mmseg_pseudoseg' not in sys.modules, 'mmseg_pseudoseg was imported'
print(json.dumps(dict(classes=list(model.dataset_meta['classes']),
                      palette=[list(c) for c in model.dataset_meta['palette']])))
'''


def test_exported_model_keeps_classes_colours_and_labels(folder_model, tmp_path):
    out_dir = str(tmp_path / 'export')
    proc = run([sys.executable, 'tools/export.py', folder_model['config'],
                folder_model['checkpoint'], out_dir, '--name', 'm'])
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    text = open(osp.join(out_dir, 'm.py')).read()
    assert 'SemiFolder' not in text and "'crack'" in text
    script = tmp_path / 'stock.py'
    script.write_text(STOCK)
    images = val_images(folder_model['root'])
    npz = str(tmp_path / 'stock.npz')
    proc = run([sys.executable, str(script), osp.join(out_dir, 'm.py'),
                osp.join(out_dir, 'm.pth'), npz] + images,
               cwd=str(tmp_path))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    shown = json.loads(proc.stdout.strip().splitlines()[-1])
    assert shown == dict(classes=list(CLASSES3), palette=COLOURS)
    stock = np.load(npz)
    before = init_model(folder_model['config'], folder_model['checkpoint'], 'cpu')
    for i, image in enumerate(images):  # the same labels as before the export
        want = inference_model(before, image).pred_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(stock[f'labels{i}'], want)
    np.testing.assert_array_equal(stock['vis'],
                                  np.asarray(COLOURS, np.uint8)[stock['labels0']])


def test_three_class_checkpoint_with_a_21_class_config_names_both(folder_model,
                                                                  voc_root, tmp_path):
    smoke = osp.join(CONFIGS, 'smoke_pseudoseg_tiny_voc.py')
    ckpt = folder_model['checkpoint']
    want = (f'CheckpointError: checkpoint {ckpt} was trained on 3 classes (background, '
            f'crack, spall) but config {smoke} has 21 classes (decode_head.num_classes'
            '=21) -- pass the config the checkpoint was trained with.')
    for tool, extra in (('infer.py', [voc_root, str(tmp_path / 'out')]),
                        ('export.py', [str(tmp_path / 'export')])):
        proc = run([sys.executable, f'tools/{tool}', smoke, ckpt] + extra)
        assert proc.returncode != 0
        assert proc.stderr.strip().splitlines()[-1] == want, proc.stderr[-2000:]
    assert not osp.exists(tmp_path / 'export' / 'smoke_pseudoseg_tiny_voc.pth')


# ---------------------------------------------------- export of every dataset kind
def _demo_classes():
    return Config.fromfile(osp.join(CONFIGS, 'demo', 'demo_pseudoseg_1-16.py')
                           ).DEMO_CLASSES


@pytest.mark.parametrize('kind', ['voc', 'voc-narrowed', 'coco', 'folder-colours',
                                  'folder-no-colours'])
def test_stock_config_carries_classes_and_palette(kind, tmp_path):
    from mmseg.datasets import PascalVOCDataset
    voc = PascalVOCDataset.METAINFO
    if kind.startswith('folder'):
        colours = kind == 'folder-colours'
        root = make_folder_tree(str(tmp_path / 'data'), n_labelled=2, n_unlabelled=2,
                                n_val=4, with_colours=colours, colours=COLOURS)
        config = folder_config(tmp_path, root)
        want = (list(CLASSES3), COLOURS if colours else label_colormap(3))
    elif kind == 'coco':
        config = osp.join(CONFIGS, 'deeplabv3plus_xception65_coco_1-32.py')
        want = (list(COCO_OBJECT_CLASSES), label_colormap(81))
    elif kind == 'voc':
        config = osp.join(CONFIGS, 'deeplabv3plus_r101_voc_1-16.py')
        want = (list(voc['classes']), [list(c) for c in voc['palette']])
    else:  # a subset of VOC's classes keeps their VOC colours
        config = osp.join(CONFIGS, 'demo', 'demo_pseudoseg_1-16.py')
        names = list(_demo_classes())
        want = (names, [list(voc['palette'][list(voc['classes']).index(c)])
                        for c in names])
    stock, _ = stock_config(Config.fromfile(config), str(tmp_path / 'out'))
    dataset = stock.test_dataloader.dataset
    assert dataset.type == 'BaseSegDataset'
    assert (list(dataset.metainfo.classes), dataset.metainfo.palette) == want
    if kind.startswith('folder'):  # stock mmseg lists the val images (3 jpg, 1 png)
        from mmengine.registry import init_default_scope
        from mmseg.registry import DATASETS
        init_default_scope('mmseg')
        built = DATASETS.build(dataset)
        assert dataset.img_suffix == '.jpg' and len(built) == 3
        assert built[0]['data_samples'].gt_sem_seg.data.shape[1:] == (48, 64)


def test_export_without_trained_meta_writes_the_configs(folder_model, tmp_path):
    """A bare state dict (no ``meta``) exports with the config's classes/palette
    (here ``classes.txt``) as ``meta.dataset_meta``."""
    state = torch.load(folder_model['checkpoint'], weights_only=True)['state_dict']
    cfg = Config.fromfile(folder_model['config'])
    _, ckpt_path = export_stock_model(cfg, dict(state_dict=state), str(tmp_path), 'm')
    meta = torch.load(ckpt_path, weights_only=True)['meta']
    assert meta['dataset_meta'] == dict(classes=list(CLASSES3), palette=COLOURS)


def test_folder_export_falls_back_to_the_checkpoint_classes(folder_model, tmp_path):
    """Exporting where ``classes.txt`` is absent takes the trained classes."""
    cfg = Config.fromfile(folder_model['config'])
    for key in ('val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = str(tmp_path / 'elsewhere')
    ckpt = torch.load(folder_model['checkpoint'], weights_only=True)
    cfg_path, _ = export_stock_model(cfg, ckpt, str(tmp_path / 'out'), 'm')
    exported = Config.fromfile(cfg_path)
    assert list(exported.test_dataloader.dataset.metainfo.classes) == list(CLASSES3)
    assert exported.test_dataloader.dataset.metainfo.palette == COLOURS
    with pytest.raises(FileNotFoundError, match='classes file not found: .*elsewhere'):
        stock_config(cfg)
