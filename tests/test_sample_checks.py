"""CheckFiniteImage and CheckSegMap: a bad pixel or mask value is named at loading.

Real files (a float32 TIFF written with PIL, PNG masks), loaded by mmcv's
``LoadImageFromFile`` / mmseg's ``LoadAnnotations`` inside a ``SemiVOCDataset``.
"""
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

import mmseg_pseudoseg  # noqa: F401
from mmseg_pseudoseg.datasets.transforms import (CheckFiniteImage, CheckSegMap,
                                                 SampleLoadError)
from mmseg_pseudoseg.datasets.voc_semi import SemiVOCDataset


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mmseg')


@pytest.fixture
def tiff_root(tmp_path):
    """Two float32 TIFF images (one with 3 NaN and 1 Inf pixels) and their masks."""
    root = tmp_path / 'tiff'
    (root / 'JPEGImages').mkdir(parents=True)
    (root / 'SegmentationClassAug').mkdir()
    rng = np.random.default_rng(0)
    for name, poison in (('good', False), ('bad', True)):
        img = rng.random((12, 16)).astype(np.float32)
        if poison:
            img[0, :3] = np.nan
            img[5, 5] = np.inf
        Image.fromarray(img, mode='F').save(str(root / 'JPEGImages' / f'{name}.tif'))
        Image.fromarray(np.zeros((12, 16), np.uint8), mode='L').save(
            str(root / 'SegmentationClassAug' / f'{name}.png'))
    (root / 'split.txt').write_text('good\nbad\n')
    return str(root)


def test_nan_tiff_is_named_before_the_model(tiff_root):
    ds = SemiVOCDataset(
        data_root=tiff_root, ann_file='split.txt', img_suffix='.tif',
        pipeline=[dict(type='LoadImageFromFile', color_type='unchanged'),
                  dict(type='CheckFiniteImage'), dict(type='LoadAnnotations'),
                  dict(type='CheckSegMap')])
    good = ds[0]
    assert good['img'].dtype == np.float32 and np.isfinite(good['img']).all()
    bad = osp.join(tiff_root, 'JPEGImages', 'bad.tif')
    with pytest.raises(SampleLoadError) as err:
        ds.prepare_data(1)
    message = str(err.value)
    assert message.startswith(f'image {bad} (float32, 12x16) has 3 NaN and 1 Inf '
                              'value(s)')
    assert message.endswith(f'Repair or replace {bad}, or remove its id from the '
                            'split file.')
    assert '\n' not in message


def test_integer_images_pass_unchanged():
    img = np.full((4, 5, 3), 255, np.uint8)
    out = CheckFiniteImage()(dict(img=img, img_path='a.png'))
    assert out['img'] is img
    wide = np.full((4, 5), 65535, np.uint16)
    assert CheckFiniteImage()(dict(img=wide))['img'] is wide


def _seg_results(seg, img_shape=None, **extra):
    img_shape = seg.shape if img_shape is None else img_shape
    return dict(img=np.zeros(img_shape + (3, ), np.uint8), gt_seg_map=seg,
                img_path='x.jpg', seg_map_path='x.png', num_classes=21, **extra)


def test_mask_values_are_plain_numbers_and_capped():
    seg = np.arange(40, dtype=np.uint8).reshape(5, 8)
    seg[0, 0] = 255
    with pytest.raises(SampleLoadError) as err:
        CheckSegMap()(_seg_results(seg))
    assert str(err.value).startswith(
        'mask x.png has values 21, 22, 23, 24, 25, 26, 27, 28, 29, 30 and 9 more '
        'outside the classes 0..20 and the ignore index 255.')
    assert 'np.' not in str(err.value)
    # int32 masks (np.unique path) and the sample's own ignore index
    seg = np.array([[0, 20, 7], [-1, 3, 21]], np.int32)
    with pytest.raises(SampleLoadError, match=re.escape('values -1, 21 outside')):
        CheckSegMap()(_seg_results(seg))
    with pytest.raises(SampleLoadError, match=re.escape('values 21 outside')):
        CheckSegMap()(_seg_results(seg, ignore_index=-1))
    assert CheckSegMap(num_classes=22)(_seg_results(seg, ignore_index=-1))


def test_mask_size_and_missing_inputs():
    with pytest.raises(SampleLoadError) as err:
        CheckSegMap()(_seg_results(np.zeros((5, 8), np.uint8), img_shape=(6, 8)))
    assert str(err.value).startswith('mask x.png is 5x8 pixels but its image x.jpg '
                                     'is 6x8')
    # no mask loaded (an inference pipeline): nothing to check
    results = dict(img=np.zeros((2, 2, 3), np.uint8))
    assert CheckSegMap()(results) is results
    with pytest.raises(ValueError, match='CheckSegMap needs num_classes'):
        CheckSegMap()(dict(img=np.zeros((2, 2, 3), np.uint8),
                           gt_seg_map=np.zeros((2, 2), np.uint8)))


def test_default_pipelines_check_every_training_image(repo_root):
    """Each training pipeline of the shared base loads, then checks at once."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(repo_root,
                                   'configs/pseudoseg/_base_/datasets/pipelines.py'))
    for name in ('sup_pipeline', 'labelled_pipeline', 'extra_pipeline',
                 'extra_imglabels_pipeline'):
        types = [t['type'] for t in cfg[name]]
        assert types[:2] == ['LoadImageFromFile', 'CheckFiniteImage'], name
        if 'LoadAnnotations' in types:
            at = types.index('LoadAnnotations')
            assert types[at + 1] == 'CheckSegMap', name
