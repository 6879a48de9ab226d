"""tools/make_splits.py: seeded class-aware rejection sampling (docs/method.md §6).

Runs on private synthetic VOC / COCO-object trees (tests/synthetic_voc.py) and
checks sizes, determinism, class coverage (recomputed from the masks), the manifest,
and that the output format is the one of the field's published lists.
"""
import hashlib
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

import mmseg_pseudoseg  # noqa: F401
from mmseg_pseudoseg.datasets.split_file import read_split_file
from mmseg_pseudoseg.datasets.voc_semi import SemiVOCDataset
from synthetic_voc import make_voc_tree
from tool_module import load_tool

make_splits = load_tool('make_splits.py', register=True)


@pytest.fixture(scope='module')
def voc_tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('splits') / 'VOC2012')
    make_voc_tree(root, n_train=48, n_val=4, n_aug_only=2, size=(24, 32),
                  num_classes=6, seed=3)
    return root


@pytest.fixture(scope='module')
def voc_manifest(voc_tree):
    return make_splits.make_splits('voc', voc_tree, fractions=[2, 4, 8],
                                   seeds=[1, 2, 3], min_per_class=2)


def _presence(root, ids, mask_dir='SegmentationClass', num_classes=21):
    rows = []
    for img_id in ids:
        mask = np.array(Image.open(osp.join(root, mask_dir, img_id + '.png')))
        rows.append([(mask == c).any() for c in range(num_classes)])
    return np.array(rows)


def test_sizes_files_and_class_coverage(voc_tree, voc_manifest):
    train = read_split_file(osp.join(voc_tree, 'ImageSets/Segmentation/train.txt'))
    pool = _presence(voc_tree, train).sum(0)
    for k, size in ((2, 24), (4, 12), (8, 6)):
        for seed in (1, 2, 3):
            path = osp.join(voc_tree, f'ImageSets/SegmentationSemi/1-{k}_seed{seed}.txt')
            ids = read_split_file(path)
            assert len(ids) == size and set(ids) <= set(train)
            assert ids == sorted(ids)
            counts = _presence(voc_tree, ids).sum(0)
            required = pool >= 2
            assert (counts[required] >= 2).all()
            entry = voc_manifest['splits'][f'1-{k}_seed{seed}']
            assert entry['count'] == size and entry['fraction'] == f'1/{k}'
            assert entry['class_images']['background'] == counts[0]
            assert list(entry['class_images'].values()) == counts.tolist()
            assert entry['sha256'] == hashlib.sha256(open(path, 'rb').read()).hexdigest()
    # classes 6..20 never occur in this tree: reported, not required
    assert voc_manifest['source_class_images']['train'] == 0
    assert voc_manifest['source']['count'] == 48
    # the rejection step was exercised: some 1/8 draw missed a class at first
    assert max(e['tries'] for e in voc_manifest['splits'].values()) > 1


def test_seeds_give_different_lists_and_reruns_are_identical(voc_tree, voc_manifest,
                                                             tmp_path):
    lists = {voc_manifest['splits'][f'1-2_seed{s}']['sha256'] for s in (1, 2, 3)}
    assert len(lists) == 3
    again = make_splits.make_splits('voc', voc_tree, fractions=[2, 4, 8],
                                    seeds=[1, 2, 3], min_per_class=2,
                                    out_dir=str(tmp_path / 'again'))
    for name, entry in voc_manifest['splits'].items():
        assert again['splits'][name]['sha256'] == entry['sha256']


def test_generated_split_loads_in_the_dataset(voc_tree, voc_manifest):
    init_default_scope('mmseg')
    ds = SemiVOCDataset(data_root=voc_tree,
                        ann_file='ImageSets/SegmentationSemi/1-4_seed2.txt',
                        data_prefix=dict(img_path='JPEGImages',
                                         seg_map_path='SegmentationClass'),
                        disjoint_from='ImageSets/Segmentation/val.txt')
    assert len(ds) == 12


def test_impossible_request_is_an_error(voc_tree, tmp_path):
    with pytest.raises(RuntimeError, match='--min-per-class'):
        make_splits.make_splits('voc', voc_tree, fractions=[48], seeds=[1],
                                min_per_class=1, max_tries=50,
                                out_dir=str(tmp_path / 'x'))


def test_cli_and_missing_source(voc_tree, tmp_path, capsys):
    make_splits.main(['voc', '--data-root', voc_tree, '--fractions', '2',
                      '--seeds', '7', '--out-dir', str(tmp_path / 'cli')])
    assert osp.isfile(tmp_path / 'cli' / '1-2_seed7.txt')
    assert osp.isfile(tmp_path / 'cli' / 'manifest.json')
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        make_splits.make_splits('voc', voc_tree, source='nope.txt')


def test_format_matches_the_fields_lists(voc_tree, voc_manifest, reference_dir):
    ours = open(osp.join(voc_tree, 'ImageSets/SegmentationSemi/1-2_seed1.txt')).read()
    ref = open(osp.join(reference_dir, 'official_splits/pascal_voc_seg/2_clean.txt')
               ).read()
    pattern = re.compile(r'(\d{4}_\d{6}\n)+')
    assert pattern.fullmatch(ours) and pattern.fullmatch(ref)
    # the size rule reproduces the published list sizes (VOC train 1464, COCO 118287)
    for name, k in (('16_clean_3', 16), ('8_clean', 8), ('4_clean', 4), ('2_clean', 2)):
        path = osp.join(reference_dir, 'official_splits/pascal_voc_seg', name + '.txt')
        assert len(read_split_file(path)) == make_splits.split_size(1464, k)
    for k in (32, 64, 128, 256, 512):
        path = osp.join(reference_dir, 'official_splits/coco', f'{k}_all.txt')
        assert len(read_split_file(path)) == make_splits.split_size(118287, k)


def test_coco_mode(tmp_path, reference_dir):
    root = tmp_path / 'coco'
    rng = np.random.default_rng(0)
    ids = []
    for k in range(20):
        stem = f'{100 + k:012d}'
        ids.append(f'train2017/{stem}')
        (root / 'masks' / 'train2017').mkdir(parents=True, exist_ok=True)
        mask = np.zeros((8, 8), np.uint8)
        mask[:4, :4] = rng.integers(1, 81)
        Image.fromarray(mask).save(str(root / 'masks' / 'train2017' / (stem + '.png')))
    (root / 'ImageSets').mkdir()
    (root / 'ImageSets' / 'train2017.txt').write_text('\n'.join(ids) + '\n')
    manifest = make_splits.make_splits('coco', str(root), fractions=[2, 4],
                                       seeds=[1], min_per_class=0)
    assert manifest['splits']['1-4_seed1']['count'] == 5
    text = (root / 'ImageSets' / 'SegmentationSemi' / '1-2_seed1.txt').read_text()
    ref = open(osp.join(reference_dir, 'official_splits/coco/512_all.txt')).read()
    pattern = re.compile(r'(train2017/\d{12}\n)+')
    assert pattern.fullmatch(text) and pattern.fullmatch(ref)
    assert len(manifest['classes']) == 81
