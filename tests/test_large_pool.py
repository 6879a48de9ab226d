"""A large extra pool: built without decoding, lean serialized infos, optional file
checks, the folder scan, and ``tools/benchmark.py --pool`` (structure only)."""
import os
import os.path as osp
import pickle
import re
import sys

import pytest
from mmengine.registry import init_default_scope

import mmseg_pseudoseg  # noqa: F401
from mmseg_pseudoseg.datasets import SemiFolderDataset, SemiVOCDataset
from mmseg_pseudoseg.datasets.image_listing import list_images
from mmseg_pseudoseg.datasets.transforms.sample_checks import SampleLoadError

LOAD = [dict(type='LoadImageFromFile')]


@pytest.fixture
def empty_pool(tmp_path):
    """1,000 empty ``.jpg`` files and their list: nothing in it can be decoded."""
    init_default_scope('mmseg')
    root = tmp_path / 'pool'
    (root / 'images').mkdir(parents=True)
    ids = [f'p{k:05d}' for k in range(1000)]
    for img_id in ids:
        (root / 'images' / f'{img_id}.jpg').touch()
    (root / 'pool.txt').write_text('\n'.join(ids) + '\n')
    (root / 'classes.txt').write_text('background\nthing\n')
    return str(root), ids


def _list_pool(root, **kwargs):
    return SemiVOCDataset(data_root=root, ann_file='pool.txt', with_masks=False,
                          data_prefix=dict(img_path='images'), pipeline=LOAD,
                          **kwargs)


def test_build_decodes_no_image(empty_pool):
    """Both datasets build over undecodable files; the first load names one."""
    root, ids = empty_pool
    for ds in (_list_pool(root), SemiFolderDataset(data_root=root, img_dir='images',
                                                   mask_dir=None, pipeline=LOAD)):
        assert len(ds) == 1000
        with pytest.raises(SampleLoadError, match=re.escape(
                f'could not load image {osp.join(root, "images", ids[7])}.jpg')):
            ds.prepare_data(7)


def test_stored_infos_are_lean_and_serialized(empty_pool):
    root, ids = empty_pool
    ds = _list_pool(root)
    assert ds.serialize_data and ds.data_list == []  # one shared byte buffer
    stored = pickle.loads(memoryview(ds.data_bytes[:ds.data_address[0].item()]))
    assert stored == dict(img_path=osp.join(root, 'images', ids[0] + '.jpg'),
                          img_id=ids[0])
    info = ds.get_data_info(0)
    assert info == dict(stored, num_classes=21, label_map=None,
                        reduce_zero_label=False, ignore_index=255, seg_fields=[],
                        sample_idx=0)
    info['seg_fields'].append('x')  # each call gets its own mutable fields
    assert ds.get_data_info(0)['seg_fields'] == []


def test_check_files_off_trusts_the_list(empty_pool):
    root, ids = empty_pool
    os.remove(osp.join(root, 'images', ids[3] + '.jpg'))
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"1 id(s) listed in {osp.join(root, 'pool.txt')} have no image file: "
            f"'{ids[3]}'")):
        _list_pool(root)
    ds = _list_pool(root, check_files=False)
    assert len(ds) == 1000 and ds.check_files is False
    with pytest.raises(SampleLoadError, match=r'could not load image \S+'
                                              + ids[3] + r'\.jpg: FileNotFound'):
        ds.prepare_data(3)


def test_folder_list_with_suffix_needs_no_scan(empty_pool):
    """``ann_file`` + ``img_suffix``: ids from the list, images not looked up in a
    scan (a file of another extension beside them is not seen)."""
    root, ids = empty_pool
    with open(osp.join(root, 'pool.txt'), 'w') as f:
        f.write('\n'.join(ids[:10]) + '\n')
    os.rename(osp.join(root, 'images', ids[0] + '.jpg'),
              osp.join(root, 'images', ids[0] + '.png'))
    kwargs = dict(data_root=root, img_dir='images', mask_dir=None, pipeline=LOAD,
                  ann_file='pool.txt')
    scanned = SemiFolderDataset(**kwargs)
    assert scanned.get_data_info(0)['img_path'].endswith(ids[0] + '.png')
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"1 id(s) listed in {osp.join(root, 'pool.txt')} have no image file: "
            f"'{ids[0]}'; expected e.g. {osp.join(root, 'images', ids[0])}.jpg")):
        SemiFolderDataset(img_suffix='.jpg', **kwargs)
    listed = SemiFolderDataset(img_suffix='.jpg', check_files=False, **kwargs)
    assert [listed.get_data_info(k)['img_path'] for k in range(10)] == [
        osp.join(root, 'images', i + '.jpg') for i in ids[:10]]
    with pytest.raises(ValueError, match=r"img_suffix='\.jpg' needs ann_file"):
        SemiFolderDataset(data_root=root, img_dir='images', mask_dir=None,
                          img_suffix='.jpg', pipeline=LOAD)


def test_list_images_ids_subfolders_and_duplicates(tmp_path):
    for rel in ('a.jpg', 'b.PNG', 'sub/c.jpeg', 'sub/deep/d.tif', '.hidden.jpg',
                'notes.txt', 'sub/e.json'):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    found = list_images(str(tmp_path))
    assert found == {'a': 'a.jpg', 'b': 'b.PNG', 'sub/c': osp.join('sub', 'c.jpeg'),
                     'sub/deep/d': osp.join('sub', 'deep', 'd.tif')}
    assert list(found) == sorted(found)
    (tmp_path / 'sub' / 'c.png').touch()
    with pytest.raises(ValueError, match=r"two images with the id 'sub/c'"):
        list_images(str(tmp_path))


@pytest.mark.slow
def test_benchmark_pool_mode_reports_every_case(repo_root, tmp_path, capsys):
    sys.path.insert(0, osp.join(repo_root, 'tools'))
    import benchmark
    out = tmp_path / 'pool.json'
    result = benchmark.main(['--pool', '500', '1000', '--pool-workers', '1',
                             '--pool-dir', str(tmp_path), '--json', str(out)])
    rows = result['pool']
    assert [(r['case'], r['n']) for r in rows] == [
        (case, n) for n in (500, 1000)
        for case in ('list', 'list_unchecked', 'folder', 'folder_list')]
    for row in rows:
        assert row['build_s'] > 0 and row['first_batch_s'] > 0
        assert row['build_us_per_id'] == pytest.approx(row['build_s'] / row['n']
                                                       * 1e6)
        assert 0 < row['list_mb'] < 1 and row['workers'] == 1
        assert row['worker_uss_mb'] > 0
    # the serialized list grows with the pool
    by_n = {r['n']: r['list_mb'] for r in rows if r['case'] == 'list'}
    assert by_n[1000] > 1.8 * by_n[500]
    printed = capsys.readouterr().out
    assert '| case | ids | build (s) | µs per id |' in printed
    assert re.search(r'\| folder \| 1,000 \| [\d.]+ \|', printed)
    assert 'file check of 1,000 ids: ' in printed
    assert os.listdir(tmp_path) == ['pool.json']  # the pools are removed
