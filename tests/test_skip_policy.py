"""An unreadable extra image met in training: ``on_unreadable="stop"`` or ``"skip"``.

Dataset level: which sample replaces an unreadable one, what it carries, the cap,
the argument checks. End to end: ``tools/train.py`` on a tiny VOC tree with one
(or two) truncated JPEGs among the extra images, two forked dataloader workers.
"""
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import types

import pytest
from mmengine.registry import init_default_scope
from torch.utils.data import ConcatDataset

import mmseg_pseudoseg  # noqa: F401
from mmseg_pseudoseg.datasets import SemiVOCDataset
from mmseg_pseudoseg.datasets.samplers import SemiBatchSampler
from mmseg_pseudoseg.datasets.transforms.sample_checks import SampleLoadError
from mmseg_pseudoseg.datasets.unreadable_images import METAINFO_KEY
from run_summary import skipped_images
from synthetic_voc import make_voc_tree

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SMOKE = osp.join(REPO, 'configs', 'pseudoseg', 'smoke_pseudoseg_tiny_voc.py')
AUG = 'ImageSets/Segmentation/trainaug.txt'
LOAD = [dict(type='LoadImageFromFile'),
        dict(type='MultiView', branch_field=['sup', 'weak', 'strong'],
             weak=[dict(type='PackSemiSegInputs')])]


@pytest.fixture
def tree(tmp_path):
    """4 train, 2 val, 8 aug-only ids (trainaug = 12 ids), 48x64."""
    init_default_scope('mmseg')
    root = str(tmp_path / 'VOC2012')
    lists = make_voc_tree(root, n_train=4, n_val=2, n_aug_only=8, size=(48, 64))
    lists['aug_only'] = lists['trainaug'][4:]
    return root, lists


def _truncate(path):
    """Keep the first half of a JPEG: the decoder returns no image."""
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    return path


def _image(root, img_id):
    return osp.join(root, 'JPEGImages', img_id + '.jpg')


def _extra(root, pipeline=LOAD, **kwargs):
    return SemiVOCDataset(data_root=root, ann_file=AUG, with_masks=False,
                          pipeline=pipeline, **kwargs)


def _weak(data):
    return data['data_samples']['weak']


def test_stop_is_the_default_and_names_the_file(tree):
    root, lists = tree
    victim = _truncate(_image(root, lists['trainaug'][3]))
    ds = _extra(root)
    assert ds.on_unreadable == 'stop'
    with pytest.raises(SampleLoadError) as err:
        ds.prepare_data(3)
    message = str(err.value)
    assert message.startswith(f'SemiVOCDataset could not load image {victim}: ')
    assert f"remove id {lists['trainaug'][3]!r}" in message
    assert "on_unreadable='skip'" in message


def test_skip_replaces_with_the_next_index_and_reports_once(tree, caplog):
    root, lists = tree
    ids = lists['trainaug']
    victim = _truncate(_image(root, ids[3]))
    ds = _extra(root, on_unreadable='skip')
    data = ds.prepare_data(3)
    assert _weak(data).img_id == ids[4] == _weak(ds.prepare_data(4)).img_id
    records = _weak(data).metainfo[METAINFO_KEY]
    assert [r['file'] for r in records] == [victim]
    assert records[0]['source'].endswith(AUG) and records[0]['max_unreadable'] == 100
    assert records[0]['dataset'] == 'SemiVOCDataset'
    # the same file again: replaced again, but reported (and logged) only once
    again = ds.prepare_data(3)
    assert _weak(again).img_id == ids[4]
    assert METAINFO_KEY not in _weak(again).metainfo
    assert ds._skipped_files == [victim]
    # the last index wraps around to the first
    last = _truncate(_image(root, ids[-1]))
    wrapped = ds.prepare_data(len(ds) - 1)
    assert _weak(wrapped).img_id == ids[0]
    assert [r['file'] for r in _weak(wrapped).metainfo[METAINFO_KEY]] == [last]


def test_skip_over_the_cap_stops_with_the_list(tree):
    root, lists = tree
    ids = lists['trainaug']
    bad = [_truncate(_image(root, ids[k])) for k in (2, 3)]
    ds = _extra(root, on_unreadable='skip', max_unreadable=1)
    with pytest.raises(SampleLoadError) as err:
        ds.prepare_data(2)  # 2 -> 3 -> 4: the second file is one too many
    message = str(err.value)
    assert message.startswith(f'SemiVOCDataset: 2 unreadable image(s) of '
                              f'{osp.join(root, AUG)} exceed max_unreadable=1: ')
    assert all(repr(b) in message for b in bad)
    zero = _extra(root, on_unreadable='skip', max_unreadable=0)
    with pytest.raises(SampleLoadError, match='1 unreadable image'):
        zero.prepare_data(3)


def test_skip_does_not_hide_other_failures(tree):
    """A readable image whose pipeline fails stops the run under 'skip' too."""
    root, lists = tree
    broken = [dict(type='LoadImageFromFile'),
              dict(type='PackSemiSegInputs', seg_key='gt_valid_map')]
    ds = _extra(root, pipeline=broken, on_unreadable='skip')
    with pytest.raises(SampleLoadError, match=re.escape(
            f"could not load image {_image(root, lists['trainaug'][0])}: KeyError")):
        ds.prepare_data(0)


def test_policy_arguments_are_checked(tree):
    root, _ = tree
    with pytest.raises(ValueError, match=r"on_unreadable='drop' is not one of "
                                         r"\('stop', 'skip'\)"):
        _extra(root, on_unreadable='drop')
    with pytest.raises(ValueError, match='max_unreadable=-1 must be an int >= 0'):
        _extra(root, on_unreadable='skip', max_unreadable=-1)
    with pytest.raises(ValueError, match="on_unreadable='skip' needs a training set"):
        _extra(root, on_unreadable='skip', test_mode=True)


# --------------------------------------------------------------- end to end
# The smoke config trains on 2 labelled (train) + 2 extra images per batch; here the
# extra set is trainaug without the train ids: the 8 aug-only images.
def _draws(lists, iterations=6):
    """``{extra index: [iterations (1-based) whose batch draws it]}`` of the run's
    sampler (seed 0, 2 labelled + 2 extra per batch, as the smoke config)."""
    both = ConcatDataset([range(len(lists['train'])), range(len(lists['aug_only']))])
    sampler = SemiBatchSampler(types.SimpleNamespace(dataset=both, seed=0,
                                                     shuffle=True), 4, 2, 2)
    offset, draws = len(lists['train']), {}
    for it, batch in zip(range(1, iterations + 1), sampler):
        for index in batch[2:]:
            draws.setdefault(index - offset, []).append(it)
    return draws


def _train(root, work_dir, *options):
    opts = [f'train_dataloader.dataset.datasets.{i}.data_root={root}' for i in (0, 1)]
    opts += [f'val_dataloader.dataset.data_root={root}',
             f'test_dataloader.dataset.data_root={root}',
             'train_dataloader.num_workers=2',
             'train_dataloader.persistent_workers=True',
             'train_cfg.max_iters=6', 'train_cfg.val_interval=100',
             'default_hooks.checkpoint.interval=2',
             'param_scheduler.0.end=6', 'custom_hooks=[]',
             'train_dataloader.dataset.datasets.1.exclude_split='
             'ImageSets/Segmentation/train.txt', *options]
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', SMOKE, '--work-dir', work_dir,
         '--cfg-options', *opts], cwd=REPO, capture_output=True, text=True,
        timeout=600, env=dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO))
    return proc, proc.stdout + proc.stderr


def _late_extra_image(lists):
    """The extra id first drawn last (at iteration 3 or later), and that
    iteration."""
    firsts = {k: its[0] for k, its in _draws(lists).items()}
    k = max(firsts, key=lambda i: firsts[i])
    assert firsts[k] >= 3
    return lists['aug_only'][k], firsts[k]


@pytest.mark.slow
def test_train_stops_on_the_unreadable_image_keeping_the_checkpoints(tree, tmp_path):
    root, lists = tree
    img_id, first = _late_extra_image(lists)
    victim = _truncate(_image(root, img_id))
    work = str(tmp_path / 'work')
    proc, out = _train(root, work)
    assert proc.returncode != 0
    assert f'SemiVOCDataset could not load image {victim}' in out, out[-3000:]
    assert f'Iter(train) [{first - 1}/6]' in out
    assert f'Iter(train) [{first}/6]' not in out
    assert osp.isfile(osp.join(work, 'iter_2.pth'))  # saved before the bad batch


def test_train_skips_the_unreadable_image_and_lists_it(tree, tmp_path):
    root, lists = tree
    img_id, first = _late_extra_image(lists)
    victim = _truncate(_image(root, img_id))
    work = str(tmp_path / 'work')
    proc, out = _train(root, work,
                       'train_dataloader.dataset.datasets.1.on_unreadable=skip')
    assert proc.returncode == 0, out[-3000:]
    assert osp.isfile(osp.join(work, 'iter_6.pth'))
    logs = glob.glob(osp.join(work, '*', '*.log'))
    assert len(logs) == 1
    log = open(logs[0]).read()
    assert f'trains on a replacement for the unreadable image {victim}' in log
    assert 'UnreadableImageHook: 1 unreadable image(s) were skipped' in log
    summary = json.load(open(osp.join(osp.dirname(logs[0]),
                                      'unreadable_images.json')))
    assert summary['count'] == 1
    (record, ) = summary['skipped']
    assert record['file'] == victim and record['iter'] == first
    assert record['dataset'] == 'SemiVOCDataset' and record['max_unreadable'] == 100
    assert record['source'].endswith(AUG)
    assert skipped_images(work) == [victim]  # what tools/summarize_runs.py names


@pytest.mark.slow
def test_train_over_the_cap_stops_with_the_list(tree, tmp_path):
    """Two unreadable files, each in the batches of another worker (batch i goes
    to worker i % 2): each worker stays under max_unreadable=1, the hook in the
    main process sees both and stops the run."""
    root, lists = tree
    n = len(lists['aug_only'])
    parity = {k: {it % 2 for it in its} for k, its in _draws(lists).items()}
    (a, b), = [(a, b) for a in range(n) for b in range(n)
               if parity.get(a) == {1} and parity.get(b) == {0}
               and (a + 1) % n != b and (b + 1) % n != a][:1]
    bad = [_truncate(_image(root, lists['aug_only'][k])) for k in (a, b)]
    proc, out = _train(root, str(tmp_path / 'work'),
                       'train_dataloader.dataset.datasets.1.on_unreadable=skip',
                       'train_dataloader.dataset.datasets.1.max_unreadable=1')
    assert proc.returncode != 0
    match = re.search(r'SemiVOCDataset: 2 unreadable image\(s\) of \S+trainaug.txt '
                      r'exceed max_unreadable=1: (.*)\. Repair', out)
    assert match, out[-3000:]
    assert sorted(re.findall(r"'([^']+)'", match.group(1))) == sorted(bad)
    assert 'unreadable_image_hook.py' in out and 'DataLoader worker' not in out
