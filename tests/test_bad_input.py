"""Every bad input the project refuses (README, "Bad input"), one case each.

Each case builds the real component on real files (a tiny VOC tree of its own,
the default training pipelines of ``configs/pseudoseg/_base_/datasets/
pipelines.py``) and asserts the first words of the message and that the culprit
(file, id or config key) is named in its last line.
"""
import argparse
import os
import os.path as osp
import re
import shutil

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import InfiniteSampler
from mmengine.registry import init_default_scope
from PIL import Image
from torch.utils.data import ConcatDataset

import mmseg_pseudoseg  # noqa: F401
from mmseg_pseudoseg.datasets.voc_semi import SemiVOCDataset
from synthetic_voc import make_voc_tree

PIPELINES = 'configs/pseudoseg/_base_/datasets/pipelines.py'
TRAIN = 'ImageSets/Segmentation/train.txt'
VAL = 'ImageSets/Segmentation/val.txt'
AUG = 'ImageSets/Segmentation/trainaug.txt'


@pytest.fixture(scope='module')
def pristine(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('bad_input') / 'VOC2012')
    make_voc_tree(root, n_train=4, n_val=2, n_aug_only=2, size=(24, 32))
    return root


@pytest.fixture
def root(pristine, tmp_path):
    """A private copy of the tiny tree (cases corrupt files in it)."""
    init_default_scope('mmseg')
    copy = str(tmp_path / 'VOC2012')
    shutil.copytree(pristine, copy)
    return copy


def _pipelines(repo_root):
    return Config.fromfile(osp.join(repo_root, PIPELINES))


def _labelled(root, repo_root, ann_file=TRAIN, **kwargs):
    return SemiVOCDataset(data_root=root, ann_file=ann_file, disjoint_from=VAL,
                          pipeline=_pipelines(repo_root).labelled_pipeline, **kwargs)


def _extra(root, repo_root, **kwargs):
    return SemiVOCDataset(data_root=root, ann_file=AUG, with_masks=False,
                          disjoint_from=VAL, exclude_split=TRAIN,
                          pipeline=_pipelines(repo_root).extra_pipeline, **kwargs)


def _ids(root, split):
    return open(osp.join(root, split)).read().split()


def _image(root, img_id):
    return osp.join(root, 'JPEGImages', img_id + '.jpg')


def _mask(root, img_id):
    return osp.join(root, 'SegmentationClassAug', img_id + '.png')


def _write(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return path


# --- the cases: each returns (callable that raises, culprit) ---------------------
def missing_split(root, repo_root):
    path = osp.join(root, 'ImageSets/Segmentation/nope.txt')
    return lambda: _labelled(root, repo_root, ann_file=path), path


def empty_split(root, repo_root):
    path = _write(osp.join(root, 'empty.txt'), '\n\n')
    return lambda: _labelled(root, repo_root, ann_file=path), path


def duplicate_split(root, repo_root):
    ids = _ids(root, TRAIN)
    path = _write(osp.join(root, 'dup.txt'), '\n'.join(ids + ids[1:2]) + '\n')
    return lambda: _labelled(root, repo_root, ann_file=path), repr(ids[1])


def id_without_image(root, repo_root):
    victim = _ids(root, TRAIN)[2]
    os.remove(_image(root, victim))
    return lambda: _labelled(root, repo_root), repr(victim)


def split_overlapping_val(root, repo_root):
    val_id = _ids(root, VAL)[0]
    path = _write(osp.join(root, 'leaky.txt'),
                  '\n'.join(_ids(root, TRAIN) + [val_id]) + '\n')
    return lambda: _labelled(root, repo_root, ann_file=path), repr(val_id)


def _corrupt(path):
    with open(path, 'wb') as f:
        f.write(b'not an image')


def corrupt_labelled_image(root, repo_root):
    victim = _image(root, _ids(root, TRAIN)[1])
    _corrupt(victim)
    return lambda: _labelled(root, repo_root).prepare_data(1), victim


def corrupt_extra_image(root, repo_root):
    ds = _extra(root, repo_root)
    victim = ds.get_data_info(0)['img_path']
    _corrupt(victim)
    return lambda: ds.prepare_data(0), victim


def _rewrite_mask(root, img_id, fn):
    path = _mask(root, img_id)
    Image.fromarray(fn(np.array(Image.open(path))).astype(np.uint8)).save(path)
    return path


def mask_value_outside_classes(root, repo_root):
    def poison(mask):
        mask[0, :2] = 30
        return mask
    path = _rewrite_mask(root, _ids(root, TRAIN)[0], poison)
    return lambda: _labelled(root, repo_root).prepare_data(0), path


def mask_image_size_mismatch(root, repo_root):
    path = _rewrite_mask(root, _ids(root, TRAIN)[3], lambda m: m[:-3])
    return lambda: _labelled(root, repo_root).prepare_data(3), path


def nan_image(root, repo_root):
    """A float TIFF with NaN pixels, loaded unchanged, in the labelled set."""
    img_id = _ids(root, TRAIN)[0]
    path = osp.join(root, 'JPEGImages', img_id + '.tif')
    img = np.random.default_rng(0).random((24, 32, 3)).astype(np.float32)
    img[3:5, 3:5] = np.nan
    assert cv2.imwrite(path, img)
    pipeline = _pipelines(repo_root).labelled_pipeline
    pipeline[0]['color_type'] = 'unchanged'
    split = _write(osp.join(root, 'one.txt'), img_id + '\n')
    ds = SemiVOCDataset(data_root=root, ann_file=split, img_suffix='.tif',
                        pipeline=pipeline)
    return lambda: ds.prepare_data(0), path


def image_tags_unknown_class(root, repo_root):
    ids = _ids(root, AUG)
    labels = _write(osp.join(root, 'tags.csv'),
                    ''.join(f'{i},person\n' for i in ids[:-1]) + f'{ids[-1]},dragon\n')
    return lambda: _extra(root, repo_root, image_labels_file=labels), repr(ids[-1])


def image_tags_missing_id(root, repo_root):
    extra_ids = [i for i in _ids(root, AUG) if i not in _ids(root, TRAIN)]
    labels = _write(osp.join(root, 'tags.csv'),
                    ''.join(f'{i},person\n' for i in extra_ids[1:]))
    return lambda: _extra(root, repo_root, image_labels_file=labels), \
        repr(extra_ids[0])


def class_count_mismatch_between_heads(root, repo_root):
    from model_factory import build, deeplabv3plus_r18, sgc_head
    cfg = deeplabv3plus_r18(num_classes=5, sgc=sgc_head(num_classes=4))
    return lambda: build(cfg), 'sgc_head.num_classes'


def batch_size_not_labelled_plus_extra(root, repo_root):
    from mmseg.registry import DATA_SAMPLERS
    both = ConcatDataset([_labelled(root, repo_root), _extra(root, repo_root)])
    cfg = dict(type='SemiBatchSampler', sampler=InfiniteSampler(both, seed=0),
               batch_size=6, labelled_per_gpu=4, extra_per_gpu=4)
    return lambda: DATA_SAMPLERS.build(cfg), 'train_dataloader.batch_size'


def config_without_custom_imports(root, repo_root):
    from mmseg_pseudoseg.utils import check_custom_imports
    path = _write(osp.join(root, 'no_imports.py'),
                  f"_base_ = ['{osp.join(repo_root, PIPELINES)}']\n"
                  'custom_imports = None\n')
    return lambda: check_custom_imports(Config.fromfile(path)), path


def _checkpoint_loader(path):
    from mmengine.runner import CheckpointLoader
    return lambda: CheckpointLoader.load_checkpoint(path, map_location='cpu')


def truncated_checkpoint(root, repo_root):
    path = osp.join(root, 'iter_2.pth')
    torch.save({'state_dict': {'w': torch.zeros(64, 64)}}, path)
    with open(path, 'rb') as f:
        head = f.read(1000)
    with open(path, 'wb') as f:
        f.write(head)
    return _checkpoint_loader(path), path


def checkpoint_needing_unsafe_globals(root, repo_root):
    path = osp.join(root, 'pickled.pth')
    torch.save({'state_dict': {}, 'meta': argparse.Namespace(lr=0.1)}, path)
    return _checkpoint_loader(path), path


CASES = [
    (missing_split, FileNotFoundError, r'split file not found: '),
    (empty_split, ValueError, r'split file \S+ lists no images'),
    (duplicate_split, ValueError, r'split file \S+ lists 1 id\(s\) more than once'),
    (id_without_image, FileNotFoundError, r'1 id\(s\) listed in \S+ have no image '),
    (split_overlapping_val, ValueError, r'1 id\(s\) of \S+ are also in \S+val.txt'),
    (corrupt_labelled_image, RuntimeError, r'SemiVOCDataset could not load image '),
    (corrupt_extra_image, RuntimeError, r'SemiVOCDataset could not load image '),
    (mask_value_outside_classes, RuntimeError, r'mask \S+ has values 30 outside '
                                               r'the classes 0\.\.20'),
    (mask_image_size_mismatch, RuntimeError, r'mask \S+ is \d+x\d+ pixels but its '
                                             r'image'),
    (nan_image, RuntimeError, r'image \S+ \(float32, 24x32\) has 12 NaN and 0 Inf'),
    (image_tags_unknown_class, ValueError, r"image-label file \S+, entry '\S+': "
                                           r"unknown class 'dragon'"),
    (image_tags_missing_id, ValueError, r'SemiVOCDataset: 1 id\(s\) of \S+ have no '
                                        r'entry in the image-label file'),
    (class_count_mismatch_between_heads, ValueError, r'Class count mismatch: '
                                                     r'sgc_head\.num_classes=4'),
    (batch_size_not_labelled_plus_extra, ValueError,
     r'SemiBatchSampler: train_dataloader\.batch_size=6 must equal'),
    (config_without_custom_imports, ValueError, r'Config \S+ uses .+ from '
                                                r'mmseg_pseudoseg but does not'),
    (truncated_checkpoint, RuntimeError, r'checkpoint \S+ cannot be read '),
    (checkpoint_needing_unsafe_globals, RuntimeError,
     r'checkpoint \S+ needs objects that weights-only loading refuses '
     r'\(argparse\.Namespace\)'),
]


@pytest.mark.parametrize('make, error, first_words', CASES,
                         ids=[c[0].__name__ for c in CASES])
def test_bad_input_is_refused_naming_the_culprit(make, error, first_words, root,
                                                 repo_root):
    trigger, culprit = make(root, repo_root)
    with pytest.raises(error) as err:
        trigger()
    message = str(err.value)
    assert re.match(first_words, message), message
    assert culprit in message.splitlines()[-1], message
    assert not re.search(r'np\.(int|float)\d*\(', message), message
