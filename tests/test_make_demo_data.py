"""The embedded demo set (tools/demo_set.py) and tools/make_demo_data.py.

Generates reduced sets (``scale``) once per module and checks determinism,
layout, counts, label values, class coverage and the split files; then reads
the set with stock mmseg ``PascalVOCDataset`` + ``LoadAnnotations`` to show the
VOC-id masks map onto the contiguous demo classes.
"""
import hashlib
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

pytest.importorskip('skimage', reason='needs requirements-demo.txt')

import demo_set as mdd  # noqa: E402
from demo_scenes import VOC_PALETTE  # noqa: E402
from tool_module import load_tool  # noqa: E402

tool = load_tool('make_demo_data.py')

SCALE = 0.03  # train 31, val 20, extra 61 ids


def _hashes(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = osp.join(dirpath, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return out


def _read_list(root, rel):
    with open(osp.join(root, 'ImageSets', rel)) as f:
        return [line.strip() for line in f if line.strip()]


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp('demo')
    root_a, root_b = str(base / 'a'), str(base / 'b')
    manifest = mdd.make_demo_data(root_a, seed=0, scale=SCALE, workers=1)
    mdd.make_demo_data(root_b, seed=0, scale=SCALE, workers=2)
    return root_a, root_b, manifest


def test_same_seed_same_bytes_whatever_the_workers(demo):
    root_a, root_b, _ = demo
    ha, hb = _hashes(root_a), _hashes(root_b)
    assert len(ha) > 100
    assert ha == hb


def _content_digest(root):
    """What training reads: the id lists, each JPEG decoded as mmseg's
    ``LoadImageFromFile`` decodes it (cv2) and each label map as
    ``LoadAnnotations`` does (pillow, unchanged), shapes included."""
    import mmcv
    digest = hashlib.sha256()
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            path = osp.join(dirpath, name)
            rel = osp.relpath(path, root)
            with open(path, 'rb') as f:
                raw = f.read()
            if name.endswith('.jpg'):
                arr = mmcv.imfrombytes(raw, flag='color', backend='cv2')
            elif name.endswith('.png'):
                arr = mmcv.imfrombytes(raw, flag='unchanged', backend='pillow')
            else:  # lists and demo_meta.json
                digest.update(rel.encode() + b'\0' + raw)
                continue
            digest.update(rel.encode() + b'\0' + str(arr.shape).encode()
                          + np.ascontiguousarray(arr).tobytes())
    return digest.hexdigest()


def _lock_holds():
    import subprocess
    import sys
    repo = osp.dirname(osp.dirname(osp.abspath(__file__)))
    return subprocess.run([sys.executable, osp.join(repo, 'scripts', 'check_lock.py')],
                          capture_output=True).returncode == 0


def test_training_content_is_pinned(demo):
    """The decoded pixels, label values and lists of the reduced set (data
    version 2, seed 0) that the demo's figures were measured on. The generator
    uses only CPU-independent operations (see ``scenes``), so this holds on any
    machine; a change to the generator must bump DATA_VERSION and this digest
    together."""
    root_a, _, _ = demo
    assert mdd.DATA_VERSION == 2
    assert _content_digest(root_a) == \
        'ed31351afef246a6158d9b53945f98fd2257253457781a4043d9e454265f8108'


def test_generated_bytes_are_pinned_under_the_lock(demo):
    """Every byte of the reduced set: the JPEG and PNG encoders are those of the
    locked Pillow, so the bytes are pinned only where the environment is the
    lock (scripts/check_lock.py)."""
    if not _lock_holds():
        pytest.skip('environment differs from requirements-lock.txt')
    root_a, _, _ = demo
    digest = hashlib.sha256()
    for rel, file_hash in sorted(_hashes(root_a).items()):
        digest.update(rel.encode() + b'\0' + bytes.fromhex(file_hash))
    assert digest.hexdigest() == \
        '430df60376398d4d727f26ceb87c53e7a84e34fe6cf9edb12d1dd84b9cf585eb'


def test_same_bytes_whatever_simd_kernels_the_cpu_offers(demo, tmp_path):
    """OpenCV and NumPy choose SIMD kernels at run time by CPU; with the AVX
    kernels switched off (as on a CPU without them) the set is the same."""
    import subprocess
    import sys
    root_a, _, _ = demo
    out = str(tmp_path / 'no_avx')
    env = dict(os.environ, OPENCV_CPU_DISABLE='AVX512_SKX,AVX2,FMA3,AVX',
               NPY_DISABLE_CPU_FEATURES='AVX512F AVX512_SKX AVX2 FMA3 F16C AVX')
    tool_py = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools',
                       'make_demo_data.py')
    subprocess.run([sys.executable, tool_py, out, '--scale', str(SCALE),
                    '--workers', '1'], check=True, env=env, capture_output=True)
    assert _hashes(out) == _hashes(root_a)


def test_other_seed_other_images_and_scale_gives_a_subset(demo, tmp_path):
    root_a, _, _ = demo
    other = str(tmp_path / 'seed1')
    mdd.make_demo_data(other, seed=1, scale=SCALE, workers=1)
    ha, ho = _hashes(root_a), _hashes(other)
    jpgs = [k for k in ha if k.startswith('JPEGImages')]
    assert sorted(jpgs) == sorted(k for k in ho if k.startswith('JPEGImages'))
    assert all(ha[k] != ho[k] for k in jpgs)
    # image i of a split does not depend on how many images are written
    bigger = str(tmp_path / 'bigger')
    mdd.make_demo_data(bigger, seed=0, scale=2 * SCALE, workers=1)
    hb = _hashes(bigger)
    for k in jpgs + [k for k in ha if k.startswith('SegmentationClass')]:
        assert hb[k] == ha[k], k


def test_counts_and_layout(demo):
    root, _, manifest = demo
    train = _read_list(root, 'Segmentation/train.txt')
    val = _read_list(root, 'Segmentation/val.txt')
    trainaug = _read_list(root, 'Segmentation/trainaug.txt')
    sizes = {k: max(20, round(v * SCALE)) for k, v in mdd.DEFAULT_SIZES.items()}
    assert len(train) == sizes['train'] and len(val) == sizes['val']
    assert len(trainaug) == sizes['train'] + sizes['extra']
    assert trainaug[:len(train)] == train
    assert not set(val) & set(trainaug)
    for name, members in (('train', train), ('val', val),
                          ('trainaug', trainaug)):
        assert manifest['counts'][name] == len(members) == len(set(members))
    labelled = set(train) | set(val)
    assert len(os.listdir(osp.join(root, 'JPEGImages'))) == len(trainaug) + len(val)
    assert sorted(os.listdir(osp.join(root, 'SegmentationClass'))) == sorted(
        i + '.png' for i in labelled)
    assert len(os.listdir(osp.join(root, 'SegmentationClassAug'))) == len(
        trainaug) + len(val)
    # the manifest's hashes are the files' hashes
    for rel, digest in manifest['sha256'].items():
        with open(osp.join(root, 'ImageSets', rel), 'rb') as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest, rel
    with open(osp.join(root, 'demo_meta.json')) as f:
        meta = json.load(f)
    assert meta['classes'] == list(mdd.DEMO_CLASSES)
    assert meta['data_version'] == mdd.DATA_VERSION


def test_masks_valid_palette_and_every_class_in_train_and_val(demo):
    root, _, _ = demo
    valid = set(mdd.DEMO_VOC_IDS) | {0, 255}
    seen = {}
    for split in ('train', 'val'):
        seen[split] = set()
        for img_id in _read_list(root, f'Segmentation/{split}.txt'):
            img = Image.open(osp.join(root, 'JPEGImages', img_id + '.jpg'))
            pal = Image.open(osp.join(root, 'SegmentationClass', img_id + '.png'))
            aug = Image.open(osp.join(root, 'SegmentationClassAug', img_id + '.png'))
            assert pal.mode == 'P' and aug.mode == 'L', img_id
            assert img.size == pal.size == aug.size == mdd.IMAGE_HW[::-1]
            lab = np.asarray(pal)
            np.testing.assert_array_equal(lab, np.asarray(aug))
            values = set(np.unique(lab).tolist())
            assert values <= valid, (img_id, values - valid)
            assert 255 in values  # object boundaries are ignored, VOC style
            seen[split] |= values
        # palette entries are VOC's colours at VOC ids
        flat = pal.getpalette()
        for voc_id in mdd.DEMO_VOC_IDS:
            assert flat[3 * voc_id:3 * voc_id + 3] == VOC_PALETTE[voc_id]
    for split in ('train', 'val'):
        assert set(mdd.DEMO_VOC_IDS) <= seen[split], split


def test_splits_are_class_complete_subsets_of_train(demo):
    root, _, manifest = demo
    train = _read_list(root, 'Segmentation/train.txt')
    semi = sorted(os.listdir(osp.join(root, 'ImageSets', 'SegmentationSemi')))
    assert semi == sorted(f'1-{f}_seed{s}.txt' for f in mdd.FRACTIONS
                          for s in mdd.SPLIT_SEEDS)
    draws = []
    for name in semi:
        ids = _read_list(root, 'SegmentationSemi/' + name)
        assert len(ids) == len(set(ids)) == manifest['counts'][name[:-4]]
        assert set(ids) <= set(train), name
        present = set()
        for img_id in ids:
            lab = np.asarray(Image.open(
                osp.join(root, 'SegmentationClass', img_id + '.png')))
            present |= set(np.unique(lab).tolist())
        assert set(mdd.DEMO_VOC_IDS) <= present, name
        if name.startswith('1-16'):
            draws.append(tuple(ids))
    assert len(set(draws)) == 3  # three different 1/16 draws


def test_full_size_split_sizes():
    n = mdd.DEFAULT_SIZES['train']
    assert mdd.DEFAULT_SIZES['extra'] >= 1000 and mdd.DEFAULT_SIZES['val'] >= 200
    assert len(mdd.DEMO_CLASSES) - 1 >= 8
    assert 60 <= n // 16 <= 100


def test_bad_scale_is_rejected(tmp_path):
    with pytest.raises(ValueError, match='--scale'):
        mdd.make_demo_data(str(tmp_path / 'x'), scale=0)
    with pytest.raises(ValueError, match='--scale'):
        mdd.make_demo_data(str(tmp_path / 'x'), scale=1.5)


def test_stock_voc_dataset_maps_voc_ids_to_demo_classes(demo):
    """Stock PascalVOCDataset + LoadAnnotations read the set as it is."""
    from mmseg.datasets import PascalVOCDataset
    from mmseg.utils import register_all_modules
    register_all_modules()
    root, _, _ = demo
    ds = PascalVOCDataset(
        data_root=root, ann_file='ImageSets/SegmentationSemi/1-16_seed1.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
        metainfo=dict(classes=mdd.DEMO_CLASSES),
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')])
    assert ds.metainfo['classes'] == mdd.DEMO_CLASSES
    seen = set()
    for i in range(len(ds)):
        sample = ds[i]
        raw = np.asarray(Image.open(sample['seg_map_path']))
        gt = sample['gt_seg_map']
        assert gt.shape == raw.shape
        for new_id, voc_id in enumerate((0, ) + mdd.DEMO_VOC_IDS):
            assert np.all(gt[raw == voc_id] == new_id)
        assert np.all(gt[raw == 255] == 255)
        seen |= set(np.unique(gt).tolist())
    assert seen == set(range(len(mdd.DEMO_CLASSES))) | {255}


def test_command_line_writes_the_same_set(demo, tmp_path, capsys):
    root_a, _, _ = demo
    out = str(tmp_path / 'cli')
    assert tool.main([out, '--seed', '0', '--scale', str(SCALE),
                     '--workers', '1']) == 0
    assert 'train 31, val 20' in capsys.readouterr().out
    assert _hashes(out) == _hashes(root_a)
