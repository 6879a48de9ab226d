"""Split-aware datasets (docs/method.md §6): loading, options and every boundary error.

Construction-time errors name the path / ids at fault; per-file content errors
(corrupt image, out-of-range mask values, mask/image size mismatch) are raised when
the sample is loaded and name the file.
"""
import json
import os.path as osp
import re
import shutil

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

import mmseg_pseudoseg  # noqa: F401
from mmseg_pseudoseg.datasets.coco_object_semi import (COCO_OBJECT_CLASSES,
                                                       SemiCOCOObjectDataset)
from mmseg_pseudoseg.datasets.semi_seg_dataset import SampleLoadError
from mmseg_pseudoseg.datasets.voc_semi import SemiVOCDataset
from synthetic_voc import make_voc_tree

LOAD = [dict(type='LoadImageFromFile'), dict(type='CheckFiniteImage'),
        dict(type='LoadAnnotations'), dict(type='CheckSegMap')]


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mmseg')


@pytest.fixture
def small_root(tmp_path):
    """A private tree (tests below corrupt files): 4 train, 2 val, 2 aug-only."""
    root = str(tmp_path / 'VOC2012')
    lists = make_voc_tree(root, n_train=4, n_val=2, n_aug_only=2, size=(24, 32))
    return root, lists


def _ids(path):
    return [line.strip() for line in open(path) if line.strip()]


def test_labelled_dataset_loads_masks(voc_root):
    ds = SemiVOCDataset(data_root=voc_root, ann_file='ImageSets/Segmentation/train.txt',
                        disjoint_from='ImageSets/Segmentation/val.txt', pipeline=LOAD)
    train = _ids(osp.join(voc_root, 'ImageSets/Segmentation/train.txt'))
    assert len(ds) == len(train) == 16
    info = ds.get_data_info(0)
    assert info['img_id'] == train[0] and info['num_classes'] == 21
    assert info['seg_map_path'].endswith(osp.join('SegmentationClassAug',
                                                  train[0] + '.png'))
    sample = ds[0]
    assert sample['gt_seg_map'].shape == sample['img'].shape[:2]
    assert ds.metainfo['classes'][0] == 'background' and len(ds.metainfo['classes']) == 21


def test_two_path_split_format(voc_root, tmp_path):
    train = _ids(osp.join(voc_root, 'ImageSets/Segmentation/train.txt'))[:3]
    split = tmp_path / 'pairs.txt'
    split.write_text(''.join(f'/JPEGImages/{i}.jpg /SegmentationClass/{i}.png  \n'
                             for i in train))
    ds = SemiVOCDataset(data_root=voc_root, ann_file=str(split), pipeline=LOAD)
    assert [ds.get_data_info(k)['img_id'] for k in range(len(ds))] == train


def test_extra_without_masks_and_excluding_labelled(voc_root):
    ds = SemiVOCDataset(data_root=voc_root,
                        ann_file='ImageSets/Segmentation/trainaug.txt',
                        with_masks=False,
                        exclude_split='ImageSets/Segmentation/train.txt',
                        pipeline=[dict(type='LoadImageFromFile')])
    train = set(_ids(osp.join(voc_root, 'ImageSets/Segmentation/train.txt')))
    ids = [ds.get_data_info(k)['img_id'] for k in range(len(ds))]
    assert len(ids) == 16 and not train & set(ids)
    assert 'seg_map_path' not in ds.get_data_info(0)
    assert 'gt_seg_map' not in ds[0]
    full = SemiVOCDataset(data_root=voc_root, with_masks=False,
                          ann_file='ImageSets/Segmentation/trainaug.txt')
    assert len(full) == 32  # default: the train_aug list includes the labelled ids


def test_with_masks_false_rejects_load_annotations(voc_root):
    with pytest.raises(ValueError, match='with_masks=False.*LoadAnnotations'):
        SemiVOCDataset(data_root=voc_root, with_masks=False, pipeline=LOAD,
                       ann_file='ImageSets/Segmentation/trainaug.txt')


def test_with_masks_needs_a_mask_folder(voc_root):
    with pytest.raises(ValueError, match="seg_map_path"):
        SemiVOCDataset(data_root=voc_root, data_prefix=dict(img_path='JPEGImages'),
                       ann_file='ImageSets/Segmentation/train.txt')


def test_missing_data_root_and_split_file(voc_root, tmp_path):
    missing_root = str(tmp_path / 'no_such_root')
    with pytest.raises(FileNotFoundError, match=re.escape(missing_root)):
        SemiVOCDataset(data_root=missing_root, ann_file='x.txt')
    with pytest.raises(FileNotFoundError) as err:
        SemiVOCDataset(data_root=voc_root,
                       ann_file='ImageSets/SegmentationSemi/1-16_seed1.txt')
    assert 'ImageSets/SegmentationSemi/1-16_seed1.txt' in str(err.value)
    assert 'tools/make_splits.py' in str(err.value)


def test_ids_missing_on_disk(voc_root, tmp_path):
    split = tmp_path / 'split.txt'
    split.write_text('2007_000000\n2099_123456\n')
    with pytest.raises(FileNotFoundError) as err:
        SemiVOCDataset(data_root=voc_root, ann_file=str(split))
    assert "'2099_123456'" in str(err.value) and str(split) in str(err.value)


def test_missing_mask_is_reported(small_root):
    root, lists = small_root
    victim = lists['train'][1]
    os_path = osp.join(root, 'SegmentationClassAug', victim + '.png')
    shutil.move(os_path, os_path + '.bak')
    with pytest.raises(FileNotFoundError, match=f"mask file: '{victim}'"):
        SemiVOCDataset(data_root=root, ann_file='ImageSets/Segmentation/train.txt')


def test_val_overlap_is_an_error(voc_root, tmp_path):
    val = _ids(osp.join(voc_root, 'ImageSets/Segmentation/val.txt'))
    split = tmp_path / 'leaky.txt'
    split.write_text('2007_000000\n' + val[2] + '\n')
    with pytest.raises(ValueError) as err:
        SemiVOCDataset(data_root=voc_root, ann_file=str(split),
                       disjoint_from='ImageSets/Segmentation/val.txt')
    msg = str(err.value)
    assert repr(val[2]) in msg and str(split) in msg and 'val.txt' in msg


def test_empty_and_duplicate_split(voc_root, tmp_path):
    empty = tmp_path / 'empty.txt'
    empty.write_text('\n')
    with pytest.raises(ValueError, match='empty'):
        SemiVOCDataset(data_root=voc_root, ann_file=str(empty))
    dup = tmp_path / 'dup.txt'
    dup.write_text('2007_000001\n2007_000001\n')
    with pytest.raises(ValueError, match="'2007_000001'"):
        SemiVOCDataset(data_root=voc_root, ann_file=str(dup))


@pytest.mark.parametrize('fmt', ['json', 'csv'])
def test_image_label_file(voc_root, tmp_path, fmt):
    ids = _ids(osp.join(voc_root, 'ImageSets/Segmentation/train.txt'))[:3]
    split = tmp_path / 'three.txt'
    split.write_text('\n'.join(ids))
    entries = {ids[0]: ['aeroplane', 'person'], ids[1]: [20, 'background'],
               ids[2]: []}
    path = tmp_path / f'labels.{fmt}'
    if fmt == 'json':
        path.write_text(json.dumps(entries))
    else:
        path.write_text('image_id,labels\n' + f'{ids[0]},aeroplane;person\n'
                        f'{ids[1]},20,background\n{ids[2]}\n')
    ds = SemiVOCDataset(data_root=voc_root, ann_file=str(split), with_masks=False,
                        image_labels_file=str(path))
    expected = np.zeros((3, 20), np.float32)
    expected[0, [0, 14]] = 1
    expected[1, 19] = 1
    got = np.stack([ds.get_data_info(k)['img_labels'] for k in range(3)])
    np.testing.assert_array_equal(got, expected)


def test_image_label_file_errors(voc_root, tmp_path):
    ids = _ids(osp.join(voc_root, 'ImageSets/Segmentation/train.txt'))[:2]
    split = tmp_path / 'two.txt'
    split.write_text('\n'.join(ids))
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps({ids[0]: ['aeroplane', 'unicorn'], ids[1]: []}))
    with pytest.raises(ValueError) as err:
        SemiVOCDataset(data_root=voc_root, ann_file=str(split), with_masks=False,
                       image_labels_file=str(bad))
    msg = str(err.value)
    assert str(bad) in msg and repr(ids[0]) in msg and "'unicorn'" in msg
    partial = tmp_path / 'partial.csv'
    partial.write_text(f'{ids[0]},cat\n')
    with pytest.raises(ValueError) as err:
        SemiVOCDataset(data_root=voc_root, ann_file=str(split), with_masks=False,
                       image_labels_file=str(partial))
    assert repr(ids[1]) in str(err.value) and str(partial) in str(err.value)
    out_of_range = tmp_path / 'range.csv'
    out_of_range.write_text(f'{ids[0]},21\n{ids[1]}\n')
    with pytest.raises(ValueError, match=r'class id 21 is outside \[0, 21\)'):
        SemiVOCDataset(data_root=voc_root, ann_file=str(split), with_masks=False,
                       image_labels_file=str(out_of_range))


def _corrupt(path):
    with open(path, 'wb') as f:
        f.write(b'this is not an image')


def test_corrupt_image_names_the_file(small_root):
    root, lists = small_root
    victim = lists['train'][2]
    img_path = osp.join(root, 'JPEGImages', victim + '.jpg')
    _corrupt(img_path)
    ds = SemiVOCDataset(data_root=root, ann_file='ImageSets/Segmentation/train.txt',
                        pipeline=LOAD)
    with pytest.raises(SampleLoadError, match=re.escape(img_path)):
        ds.prepare_data(2)
    assert ds.prepare_data(1) is not None


def _rewrite_mask(root, img_id, fn):
    path = osp.join(root, 'SegmentationClassAug', img_id + '.png')
    mask = np.array(Image.open(path))
    Image.fromarray(fn(mask).astype(np.uint8), mode='L').save(path)
    return path


def test_mask_values_out_of_range_name_the_file(small_root):
    root, lists = small_root

    def poison(mask):
        mask = mask.copy()
        mask[0, 0] = 37
        return mask
    path = _rewrite_mask(root, lists['train'][0], poison)
    ds = SemiVOCDataset(data_root=root, ann_file='ImageSets/Segmentation/train.txt',
                        pipeline=LOAD)
    with pytest.raises(SampleLoadError, match=re.escape(path) + r' has values 37 '):
        ds[0]


def test_mask_image_size_mismatch_names_the_file(small_root):
    root, lists = small_root
    path = _rewrite_mask(root, lists['train'][3], lambda m: m[:-2, :])
    ds = SemiVOCDataset(data_root=root, ann_file='ImageSets/Segmentation/train.txt',
                        pipeline=LOAD)
    with pytest.raises(SampleLoadError, match=re.escape(path) +
                       r' is \d+x\d+ pixels but its image'):
        ds[3]


@pytest.fixture
def coco_root(tmp_path):
    """A COCO-object layout: train2017/<n>.jpg, masks/train2017/<n>.png."""
    root = tmp_path / 'coco'
    rng = np.random.default_rng(0)
    ids = []
    for k in range(3):
        stem = f'{283213 + k:012d}'
        ids.append(f'train2017/{stem}')
        for sub, arr, ext in (('train2017', rng.integers(0, 255, (20, 24, 3)), '.jpg'),
                              ('masks/train2017', rng.integers(0, 81, (20, 24)), '.png')):
            (root / sub).mkdir(parents=True, exist_ok=True)
            Image.fromarray(arr.astype(np.uint8)).save(str(root / sub / (stem + ext)))
    (root / 'ImageSets').mkdir()
    (root / 'ImageSets' / 'train2017.txt').write_text('\n'.join(ids) + '\n')
    return str(root), ids


def test_coco_object_dataset(coco_root):
    root, ids = coco_root
    ds = SemiCOCOObjectDataset(data_root=root, ann_file='ImageSets/train2017.txt',
                               pipeline=LOAD)
    assert len(ds.metainfo['classes']) == 81 == len(COCO_OBJECT_CLASSES)
    assert len(ds.metainfo['palette']) == 81
    assert ds.metainfo['classes'][1] == 'person'
    assert ds.metainfo['classes'][-1] == 'toothbrush'
    info = ds.get_data_info(1)
    assert info['img_id'] == ids[1]
    assert info['img_path'] == osp.join(root, ids[1] + '.jpg')
    assert info['seg_map_path'] == osp.join(root, 'masks', ids[1] + '.png')
    assert ds[1]['gt_seg_map'].max() < 81
