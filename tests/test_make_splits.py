"""tools/make_splits.py: released lists and seeded class-aware draws (docs/method.md §6).

Drawn splits run on private synthetic VOC / COCO-object trees (tests/synthetic_voc.py):
sizes, determinism, class coverage (recomputed from the masks), the manifest, and the
output format of the field's published lists. ``--released`` is checked against the
authors' lists in ``../shared/reference/official_splits`` (skipped when absent) and
against the configs that read them.
"""
import hashlib
import json
import os
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image

import mmseg_pseudoseg  # noqa: F401
from mmseg_pseudoseg.datasets.split_file import read_split_file
from mmseg_pseudoseg.datasets.voc_semi import SemiVOCDataset
from synthetic_voc import make_voc_tree
from tool_module import load_tool

make_splits = load_tool('make_splits.py', register=True)
CONFIGS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs',
                   'pseudoseg')
DRAWN = 'ImageSets/SegmentationSemi/drawn'
# The names the configs read and the authors' list each one must hold (docs/data.md).
RELEASED = {
    'voc': {'1-2_seed1': 'pascal_voc_seg/2_clean', '1-4_seed1': 'pascal_voc_seg/4_clean',
            '1-8_seed1': 'pascal_voc_seg/8_clean',
            '1-16_seed1': 'pascal_voc_seg/16_clean_3',
            '1-16_seed2': 'pascal_voc_seg/16_clean_14',
            '1-16_seed3': 'pascal_voc_seg/16_clean_20'},
    'coco': {f'1-{k}_seed1': f'coco/{k}_all' for k in (32, 64, 128, 256, 512)},
}


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
            path = osp.join(voc_tree, f'{DRAWN}/1-{k}_seed{seed}.txt')
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
                        ann_file=f'{DRAWN}/1-4_seed2.txt',
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
    ours = open(osp.join(voc_tree, DRAWN, '1-2_seed1.txt')).read()
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
    text = (root / DRAWN / '1-2_seed1.txt').read_text()
    ref = open(osp.join(reference_dir, 'official_splits/coco/512_all.txt')).read()
    pattern = re.compile(r'(train2017/\d{12}\n)+')
    assert pattern.fullmatch(text) and pattern.fullmatch(ref)
    assert len(manifest['classes']) == 81


# ------------------------------------------------------------------ --released
@pytest.mark.parametrize('dataset', ['voc', 'coco'])
def test_released_lists_are_the_authors_lists(dataset, tmp_path, reference_dir):
    root = tmp_path / dataset
    root.mkdir()
    make_splits.main([dataset, '--data-root', str(root), '--released'])
    out = root / 'ImageSets' / 'SegmentationSemi'
    for name, upstream in RELEASED[dataset].items():
        ref = osp.join(reference_dir, 'official_splits', upstream + '.txt')
        assert read_split_file(str(out / f'{name}.txt')) == read_split_file(ref), name
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f'{n}.txt' for n in RELEASED[dataset]] + ['manifest.json'])
    manifest = json.loads((out / 'manifest.json').read_text())
    assert manifest['source']['repository'] == 'https://github.com/googleinterns/wss'
    assert manifest['source']['checked_against'] is None  # no source list here
    for name, upstream in RELEASED[dataset].items():
        entry = manifest['splits'][name]
        assert entry['upstream_path'] == f'data_splits/{upstream}.txt'
        assert entry['sha256'] == hashlib.sha256(
            (out / f'{name}.txt').read_bytes()).hexdigest()
        assert entry['count'] == len(read_split_file(str(out / f'{name}.txt')))


@pytest.mark.parametrize('config, upstream', [
    ('deeplabv3plus_r101_voc_1-16.py', 'pascal_voc_seg/16_clean_3'),
    ('deeplabv3plus_r101_voc_1-16_supervised.py', 'pascal_voc_seg/16_clean_3'),
    ('deeplabv3plus_r101_voc_1-16_imglabels.py', 'pascal_voc_seg/16_clean_3'),
    ('deeplabv3plus_r101_voc_1-16_seed2.py', 'pascal_voc_seg/16_clean_14'),
    ('deeplabv3plus_r101_voc_1-16_seed3.py', 'pascal_voc_seg/16_clean_20'),
    ('deeplabv3plus_r101_voc_1-8.py', 'pascal_voc_seg/8_clean'),
    ('deeplabv3plus_r101_voc_1-4.py', 'pascal_voc_seg/4_clean'),
    ('deeplabv3plus_r101_voc_1-2.py', 'pascal_voc_seg/2_clean'),
    ('deeplabv3plus_xception65_coco_1-32.py', 'coco/32_all'),
    ('deeplabv3plus_xception65_coco_1-512_supervised.py', 'coco/512_all'),
])
def test_recipes_read_the_released_list_by_default(config, upstream, tmp_path,
                                                     reference_dir):
    """The headline recipe trains on 16_clean_3's ids once --released has run."""
    dataset = 'coco' if upstream.startswith('coco') else 'voc'
    make_splits.write_released(dataset, str(tmp_path))
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    train = cfg.train_dataloader.dataset
    ann_file = train.datasets[0].ann_file if 'datasets' in train else train.ann_file
    ids = read_split_file(str(tmp_path / ann_file))
    ref = osp.join(reference_dir, 'official_splits', upstream + '.txt')
    assert ids == read_split_file(ref)


def _shipped_ids(dataset):
    folder = make_splits.released_dir()
    manifest = json.load(open(osp.join(folder, 'manifest.json')))
    return {i for entry in manifest['datasets'][dataset].values()
            for i in read_split_file(osp.join(folder, entry['file']))}


def test_released_ids_are_checked_against_the_source_list(tmp_path):
    ids = sorted(_shipped_ids('voc'))
    assert len(ids) == 1059  # the union of the six VOC lists
    train = tmp_path / 'ImageSets' / 'Segmentation' / 'train.txt'
    train.parent.mkdir(parents=True)
    train.write_text('\n'.join(i for i in ids if i != '2010_004493') + '\n')
    with pytest.raises(ValueError, match=r"1 id\(s\) of the released list "
                       r"pascal_voc_seg/16_clean_3.txt are not in .*train.txt: "
                       r"'2010_004493'"):
        make_splits.write_released('voc', str(tmp_path))
    train.write_text('\n'.join(ids) + '\n')
    manifest = make_splits.write_released('voc', str(tmp_path))
    assert manifest['source']['checked_against'] == 'ImageSets/Segmentation/train.txt'


def test_released_refuses_other_datasets_and_split_options(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"published lists for \['coco', 'voc'\] "
                       r"only, not 'folder'"):
        make_splits.write_released('folder', str(tmp_path))
    with pytest.raises(SystemExit, match='drop --fractions/--counts'):
        make_splits.main(['voc', '--data-root', str(tmp_path), '--released',
                          '--fractions', '2'])
    with pytest.raises(FileNotFoundError, match='nope does not exist'):
        make_splits.write_released('voc', str(tmp_path / 'nope'))
    assert not os.listdir(tmp_path)


def test_shipped_lists_carry_the_licence_and_their_hashes():
    folder = make_splits.released_dir()
    assert open(osp.join(folder, 'LICENSE')).read().lstrip().startswith(
        'Apache License')
    assert 'googleinterns/wss' in open(osp.join(folder, 'README.md')).read()
    manifest = json.load(open(osp.join(folder, 'manifest.json')))
    for dataset, names in RELEASED.items():
        assert set(manifest['datasets'][dataset]) == set(names)
        for name, upstream in names.items():
            entry = manifest['datasets'][dataset][name]
            assert entry['file'] == upstream + '.txt'
            assert entry['sha256'] == make_splits.sha256_of(
                osp.join(folder, entry['file']))
