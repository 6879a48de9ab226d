"""SemiFolderDataset / SemiFolderTrainDataset and ``tools/make_splits.py folder``.

Trees are written by :func:`make_folder_tree` (images + grey or palette PNG masks,
``classes.txt``, optional tags); the end-to-end test trains the 3-class tree with
``tools/train.py`` from a short config and evaluates it with ``tools/test.py``.
"""
import hashlib
import json
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from PIL import Image

import mmseg_pseudoseg  # noqa: F401
from mmseg_pseudoseg.datasets import (SemiFolderDataset, SemiFolderTrainDataset)
from mmseg_pseudoseg.datasets.semi_seg_dataset import SampleLoadError
from mmseg_pseudoseg.datasets.semi_folder_dataset import read_classes_file
from synthetic_folder import CLASSES3, make_folder_tree
from synthetic_voc import VOC_PALETTE
from tool_module import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
make_splits = load_tool('make_splits.py', 'make_splits_folder')

@pytest.fixture(scope='module')
def tree3(tmp_path_factory):
    return make_folder_tree(str(tmp_path_factory.mktemp('folder3')), tags=True)


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mmseg')


LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
        dict(type='CheckSegMap')]


def test_layout_classes_palette_and_ids(tree3):
    ds = SemiFolderDataset(data_root=tree3, img_dir='labelled/images',
                           mask_dir='labelled/masks', pipeline=LOAD)
    assert len(ds) == 12
    assert ds.metainfo['classes'] == CLASSES3
    assert ds.metainfo['palette'] == [VOC_PALETTE[c] for c in range(3)]
    ids = [ds.get_data_info(i)['img_id'] for i in range(len(ds))]
    assert ids == sorted(ids) and ids[2] == 'lab_002'
    info = ds.get_data_info(2)
    assert info['img_path'] == osp.join(tree3, 'labelled/images/lab_002.png')
    assert info['seg_map_path'] == osp.join(tree3, 'labelled/masks/lab_002.png')
    assert info['num_classes'] == 3
    assert info['ignore_index'] == 255  # read by CheckSegMap
    assert SemiFolderDataset(data_root=tree3, img_dir='labelled/images',
                             mask_dir='labelled/masks', ignore_index=0
                             ).get_data_info(0)['ignore_index'] == 0
    # classes from the config win over classes.txt; colours default to VOC's
    ds2 = SemiFolderDataset(data_root=tree3, img_dir='unlabelled/images',
                            mask_dir=None, classes=('bg', 'x', 'y'))
    assert ds2.metainfo['classes'] == ('bg', 'x', 'y')
    assert 'seg_map_path' not in ds2.get_data_info(0)


def test_palette_masks_read_as_class_indices(tree3):
    ds = SemiFolderDataset(data_root=tree3, img_dir='labelled/images',
                           mask_dir='labelled/masks', pipeline=LOAD)
    for i in (0, 1):  # a grey and a palette mask
        out = ds[i]
        expected = np.array(Image.open(ds.get_data_info(i)['seg_map_path']))
        assert expected.ndim == 2
        np.testing.assert_array_equal(out['gt_seg_map'], expected)
        assert set(np.unique(out['gt_seg_map'])) <= {0, 1, 2, 255}
    assert Image.open(ds.get_data_info(1)['seg_map_path']).mode == 'P'


def test_tags_and_split_files(tree3, tmp_path):
    ds = SemiFolderDataset(data_root=tree3, img_dir='unlabelled/images',
                           mask_dir=None, image_labels_file='tags.csv')
    rows = {r.split(',')[0]: r.strip().split(',')[1] for r in
            open(osp.join(tree3, 'tags.csv')).readlines()[1:]}
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        names = [n for n in rows[info['img_id']].split(';') if n]
        expected = np.zeros(2, np.float32)
        for n in names:
            expected[CLASSES3.index(n) - 1] = 1
        np.testing.assert_array_equal(info['img_labels'], expected)
    split = tmp_path / 'some.txt'
    split.write_text('lab_003\nlab_001\n')
    ds = SemiFolderDataset(data_root=tree3, img_dir='labelled/images',
                           mask_dir='labelled/masks', ann_file=str(split))
    assert [ds.get_data_info(i)['img_id'] for i in range(2)] == ['lab_003', 'lab_001']
    rest = SemiFolderDataset(data_root=tree3, img_dir='labelled/images',
                             mask_dir=None, exclude_split=str(split))
    assert len(rest) == 10


def _copy_tree(src, dst):
    import shutil
    shutil.copytree(src, dst)
    return str(dst)


def test_image_without_mask_names_image_and_mask(tree3, tmp_path):
    root = _copy_tree(tree3, tmp_path / 't')
    os.remove(osp.join(root, 'labelled/masks/lab_004.png'))
    with pytest.raises(FileNotFoundError) as err:
        SemiFolderDataset(data_root=root, img_dir='labelled/images',
                          mask_dir='labelled/masks')
    msg = str(err.value)
    assert '1 image(s) of ' + osp.join(root, 'labelled/images') in msg
    assert osp.join(root, 'labelled/images/lab_004.jpg') in msg
    assert 'expected e.g. ' + osp.join(root, 'labelled/masks/lab_004.png') in msg
    assert msg.splitlines()[-1].startswith('Add the masks')


def test_mask_value_outside_the_classes_names_the_mask(tree3, tmp_path):
    root = _copy_tree(tree3, tmp_path / 't')
    path = osp.join(root, 'labelled/masks/lab_000.png')
    mask = np.array(Image.open(path))
    mask[:3, :3] = 7
    Image.fromarray(mask, mode='L').save(path)
    ds = SemiFolderDataset(data_root=root, img_dir='labelled/images',
                           mask_dir='labelled/masks', pipeline=LOAD)
    with pytest.raises(SampleLoadError, match=re.escape(
            f'mask {path} has values 7 outside the classes 0..2')):
        ds[0]
    # make_splits reads every mask first and says the same, naming the file
    with pytest.raises(ValueError, match=re.escape(f'mask {path} has values [7]')):
        make_splits.make_splits('folder', root, fractions=[2], seeds=[1])


def test_unknown_tag_class_duplicate_ids_and_missing_folders(tree3, tmp_path):
    root = _copy_tree(tree3, tmp_path / 't')
    with open(osp.join(root, 'tags.csv'), 'a') as f:
        f.write('unl_001b,crack;rust\n')
    with pytest.raises(ValueError, match=r"unknown class 'rust'; known classes: "
                                         r'background, crack, spall'):
        SemiFolderDataset(data_root=root, img_dir='unlabelled/images', mask_dir=None,
                          image_labels_file='tags.csv')
    Image.new('RGB', (8, 8)).save(osp.join(root, 'unlabelled/images/unl_000.png'))
    with pytest.raises(ValueError, match=r"two images with the id 'unl_000'"):
        SemiFolderDataset(data_root=root, img_dir='unlabelled/images', mask_dir=None)
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"image folder {osp.join(root, 'nope')} does not exist")):
        SemiFolderDataset(data_root=root, img_dir='nope', mask_dir=None)
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"mask folder {osp.join(root, 'val/nope')} does not exist")):
        SemiFolderDataset(data_root=root, img_dir='val/images', mask_dir='val/nope')
    os.remove(osp.join(root, 'classes.txt'))
    with pytest.raises(FileNotFoundError, match='classes file not found: ' +
                       re.escape(osp.join(root, 'classes.txt'))):
        SemiFolderDataset(data_root=root, img_dir='val/images', mask_dir=None)


def test_classes_file_formats(tmp_path):
    path = tmp_path / 'classes.txt'
    path.write_text('background\nroad sign\n\nsky\n')
    assert read_classes_file(str(path)) == (['background', 'road sign', 'sky'], None)
    path.write_text('background 0 0 0\nroad sign 255 0 0\n')
    assert read_classes_file(str(path)) == (['background', 'road sign'],
                                            [[0, 0, 0], [255, 0, 0]])
    path.write_text('background 0 0 0\nroad\n')
    with pytest.raises(ValueError, match='1 of 2 lines have a colour'):
        read_classes_file(str(path))


def test_train_set_shares_root_classes_and_crop(tree3):
    from mmengine.config import Config
    base = Config.fromfile(osp.join(REPO, 'configs/pseudoseg/_base_/datasets/'
                                    'folder_semi.py'))
    cfg = base.train_dataloader.dataset.to_dict()
    cfg.pop('type')
    cfg.update(data_root=tree3, crop_size=(40, 40))
    ds = SemiFolderTrainDataset(**cfg)
    labelled, extra = ds.datasets
    assert (len(labelled), len(extra)) == (12, 12)
    assert labelled.metainfo['classes'] == extra.metainfo['classes'] == CLASSES3
    crops = [t.crop_size for d in ds.datasets for t in d.pipeline.transforms
             if type(t).__name__ == 'RandomCrop']
    assert crops == [(40, 40), (40, 40)]
    sample = ds[0]
    assert max(sample['inputs']['sup'].shape[-2:]) <= 40
    extra_sample = ds[len(labelled)]['inputs']
    assert {k for k, v in extra_sample.items() if v is not None} == {'weak', 'strong'}


# ------------------------------------------------------------------ make_splits
def test_make_splits_folder_fractions_counts_and_manifest(tree3, tmp_path):
    root = _copy_tree(tree3, tmp_path / 't')
    manifest = make_splits.make_splits('folder', root, fractions=[2, 4],
                                       counts=[5], seeds=[1, 2], min_per_class=1)
    assert manifest['classes'] == list(CLASSES3)
    assert manifest['source']['folder'] == 'labelled/images'
    assert manifest['source']['count'] == 12
    all_ids = sorted(f'lab_{k:03d}' for k in range(12))
    for name, size in (('1-2', 6), ('1-4', 3), ('n5', 5)):
        for seed in (1, 2):
            rel = f'splits/{name}_seed{seed}.txt'
            ids = open(osp.join(root, rel)).read().split()
            assert len(ids) == size and ids == sorted(ids) and set(ids) <= set(all_ids)
            entry = manifest['splits'][f'{name}_seed{seed}']
            assert entry['count'] == size and entry['file'] == rel
            assert entry['sha256'] == hashlib.sha256(
                open(osp.join(root, rel), 'rb').read()).hexdigest()
            # class-aware: every class of the pool appears in the split
            present = np.zeros(3, int)
            for i in ids:
                mask = np.array(Image.open(osp.join(root, 'labelled/masks',
                                                    i + '.png')))
                present += [(mask == c).any() for c in range(3)]
            assert (present >= 1).all()
            assert entry['class_images'] == dict(zip(CLASSES3, present.tolist()))
    assert manifest['splits']['n5_seed1']['fraction'] == '5'
    # the same arguments give the same files; the split loads as the labelled set
    again = make_splits.make_splits('folder', root, fractions=[2, 4], counts=[5],
                                    seeds=[1, 2])
    assert again['splits'] == manifest['splits']
    ds = SemiFolderDataset(data_root=root, img_dir='labelled/images',
                           mask_dir='labelled/masks', ann_file='splits/n5_seed2.txt')
    assert len(ds) == 5
    with open(osp.join(root, 'splits/manifest.json')) as f:
        assert json.load(f)['splits']['1-4_seed1']['count'] == 3


def test_make_splits_folder_cli_progress_and_errors(tree3, tmp_path):
    root = _copy_tree(tree3, tmp_path / 't')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.run(
        [sys.executable, 'tools/make_splits.py', 'folder', '--data-root', root,
         '--counts', '4', '--seeds', '3', '--classes', *CLASSES3, '--nproc', '2'],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'splits/n4_seed3.txt: 4 ids' in proc.stdout
    assert '12/12' in proc.stderr  # mmengine's progress bar over the 12 masks
    with pytest.raises(ValueError, match='give --fractions and/or --counts'):
        make_splits.make_splits('folder', root)
    with pytest.raises(ValueError, match='13 images requested but the source has 12'):
        make_splits.make_splits('folder', root, counts=[13], seeds=[1])
    os.remove(osp.join(root, 'labelled/masks/lab_005.png'))
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"{osp.join(root, 'labelled/images/lab_005.png')}.")):
        make_splits.make_splits('folder', root, counts=[4], seeds=[1])


# ----------------------------------------------------------- end to end, 3 classes
TEN_LINE_CONFIG = """\
_base_ = ['{repo}/configs/pseudoseg/deeplabv3plus_r101_folder_example.py']
data_root = '{root}'
classes = None  # from classes.txt
crop_size = (48, 48)
model = dict(data_preprocessor=dict(size=crop_size),
             decode_head=dict(num_classes=3))
train_dataloader = dict(dataset=dict(data_root=data_root, classes=classes,
                                     crop_size=crop_size))
val_dataloader = dict(dataset=dict(data_root=data_root, classes=classes))
test_dataloader = val_dataloader
"""
# What the test adds for a 2-core CPU: a tiny backbone and 3 iterations.
TINY = """\
model['backbone'] = dict(depth=18, base_channels=8, stem_channels=8, init_cfg=None)
model['decode_head'].update(in_channels=64, channels=16, c1_in_channels=8,
                            c1_channels=8)
model['sgc_head'] = dict(in_channels=(8, 16, 32, 64), attention_dim=16)
train_dataloader.update(batch_size=4, num_workers=0, persistent_workers=False,
                        batch_sampler=dict(labelled_per_gpu=2, extra_per_gpu=2))
val_dataloader.update(num_workers=0, persistent_workers=False)
train_cfg = dict(max_iters=3, val_interval=3)
param_scheduler = [dict(type='PolyLR', power=0.9, begin=0, end=3, by_epoch=False)]
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=3, save_best=None))
"""


@pytest.mark.slow
def test_three_class_folder_trains_and_evaluates_with_the_tools(tmp_path):
    root = make_folder_tree(str(tmp_path / 'data'), n_labelled=8, n_unlabelled=8,
                            n_val=3)
    cfg_path = tmp_path / 'my_dataset.py'
    cfg_path.write_text(TEN_LINE_CONFIG.format(repo=REPO, root=root) + TINY)
    assert len(TEN_LINE_CONFIG.splitlines()) == 10
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    work = str(tmp_path / 'work')
    train = subprocess.run([sys.executable, 'tools/train.py', str(cfg_path),
                            '--work-dir', work], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=600)
    out = train.stdout + train.stderr
    assert train.returncode == 0, out[-4000:]
    for key in ('sup.decode.loss_ce', 'unsup.loss_u', 'cls.loss_cls', 'sgc.loss_sa'):
        assert re.search(key.replace('.', r'\.') + r': \d', out), key
    ckpt = osp.join(work, 'iter_3.pth')
    assert torch.load(ckpt, weights_only=True)['state_dict'][
        'sgc_head.classifier.weight'].shape[0] == 2  # C-1 foreground classes
    test = subprocess.run([sys.executable, 'tools/test.py', str(cfg_path), ckpt,
                           '--work-dir', work], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    out = test.stdout + test.stderr
    assert test.returncode == 0, out[-4000:]
    assert re.search(r'\|\s*spall\s*\|', out) and re.search(r'mIoU: \d+\.\d+', out)


# ------------------------------------------------ one PseudoSeg step, 2 and 3 classes
def one_step(cfg):
    """Build the model and train loader of ``cfg``; one loss + optimizer step on
    the first batch. Returns (model, losses, parameters without gradient)."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner
    from mmseg.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    batch = next(iter(loader))
    data = model.data_preprocessor(batch, True)
    losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    loss.backward()
    idle = [n for n, p in model.named_parameters()
            if p.requires_grad and p.grad is None]
    wrapper.step()
    return model, losses, idle


@pytest.mark.parametrize('classes', [('background', 'crack'), CLASSES3],
                         ids=['binary', '3-class'])
def test_pseudoseg_step_on_folder_data(classes, tmp_path):
    from mmengine.config import Config
    root = make_folder_tree(str(tmp_path / 'data'), classes=classes, n_labelled=4,
                            n_unlabelled=4, n_val=1)
    cfg_path = tmp_path / 'cfg.py'
    cfg_path.write_text(TEN_LINE_CONFIG.format(repo=REPO, root=root).replace(
        'num_classes=3', f'num_classes={len(classes)}') + TINY)
    cfg = Config.fromfile(str(cfg_path))
    model, losses, idle = one_step(cfg)
    assert model.sgc_head.classifier.out_channels == len(classes) - 1
    for key in ('sup.decode.loss_ce', 'unsup.loss_u', 'cls.loss_cls', 'sgc.loss_sa'):
        assert torch.isfinite(losses[key]), key
    assert idle == []
