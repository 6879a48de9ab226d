"""tools/convert_coco_object.py on a synthetic COCO json: pixel-exact masks.

Category ids 1, 3, 90 (listed out of order) -> classes 1, 2, 3. Painting rule:
crowd -> 255 first, then non-crowd instances by decreasing area (ties: increasing
annotation id), each over what is there.
"""
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO

from tool_module import load_tool

cco = load_tool('convert_coco_object.py', register=True)


def uncompressed_rle(mask):
    """COCO uncompressed RLE (column-major runs, starting with zeros)."""
    flat = mask.flatten(order='F').astype(np.uint8)
    counts, current, run = [], 0, 0
    for value in flat:
        if value != current:
            counts.append(run)
            current, run = value, 0
        run += 1
    counts.append(run)
    return {'counts': counts, 'size': list(mask.shape)}


def box(h, w, rows, cols):
    mask = np.zeros((h, w), np.uint8)
    mask[rows[0]:rows[1], cols[0]:cols[1]] = 1
    return mask


@pytest.fixture
def coco_root(tmp_path):
    h, w = 8, 10
    anns = [
        # big person, a car on top of it, a toothbrush
        dict(id=10, image_id=1, category_id=1, iscrowd=0,
             segmentation=uncompressed_rle(box(h, w, (0, 6), (0, 7)))),
        dict(id=11, image_id=1, category_id=3, iscrowd=0,
             segmentation=uncompressed_rle(box(h, w, (2, 4), (2, 5)))),
        dict(id=12, image_id=1, category_id=90, iscrowd=0,
             segmentation=uncompressed_rle(box(h, w, (6, 8), (6, 10)))),
        # crowd region overlapping the person (person wins) and free pixels (255)
        dict(id=13, image_id=1, category_id=1, iscrowd=1,
             segmentation=uncompressed_rle(box(h, w, (5, 8), (0, 4)))),
        # equal areas overlapping: the larger annotation id (15, car) lies on top
        dict(id=15, image_id=2, category_id=3, iscrowd=0,
             segmentation=uncompressed_rle(box(6, 6, (0, 2), (0, 3)))),
        dict(id=14, image_id=2, category_id=90, iscrowd=0,
             segmentation=uncompressed_rle(box(6, 6, (1, 3), (0, 3)))),
        # a polygon (rasterised by pycocotools)
        dict(id=16, image_id=4, category_id=1, iscrowd=0,
             segmentation=[[1.0, 1.0, 8.0, 1.0, 8.0, 6.0, 1.0, 6.0]]),
    ]
    data = dict(
        images=[dict(id=1, file_name='000000000001.jpg', height=h, width=w),
                dict(id=2, file_name='000000000002.jpg', height=6, width=6),
                dict(id=3, file_name='000000000003.jpg', height=5, width=4),
                dict(id=4, file_name='000000000004.jpg', height=8, width=10)],
        annotations=anns,
        categories=[dict(id=90, name='toothbrush'), dict(id=1, name='person'),
                    dict(id=3, name='car')])
    (tmp_path / 'annotations').mkdir()
    path = tmp_path / 'annotations' / 'instances_train2017.json'
    path.write_text(json.dumps(data))
    return str(tmp_path), str(path)


def _mask(root, stem):
    return np.array(Image.open(osp.join(root, 'masks', 'train2017', stem + '.png')))


def test_pixel_exact_masks(coco_root):
    root, _ = coco_root
    result = cco.convert_split(root, 'train2017')
    expected = np.zeros((8, 10), np.uint8)
    expected[5:8, 0:4] = 255          # crowd
    expected[0:6, 0:7] = 1            # person (area 42) over the crowd
    expected[6:8, 6:10] = 3           # toothbrush (area 8)
    expected[2:4, 2:5] = 2            # car (area 6) on top of the person
    np.testing.assert_array_equal(_mask(root, '000000000001'), expected)
    tie = np.zeros((6, 6), np.uint8)
    tie[1:3, 0:3] = 3                 # id 14 painted first ...
    tie[0:2, 0:3] = 2                 # ... id 15 on top
    np.testing.assert_array_equal(_mask(root, '000000000002'), tie)
    np.testing.assert_array_equal(_mask(root, '000000000003'), np.zeros((5, 4)))
    assert [c['category_id'] for c in result['classes']] == [1, 3, 90]
    assert [c['index'] for c in result['classes']] == [1, 2, 3]


def test_polygon_matches_pycocotools(coco_root):
    root, ann_path = coco_root
    cco.convert_split(root, 'train2017')
    coco = COCO(ann_path)
    reference = coco.annToMask(coco.anns[16]).astype(bool)
    assert reference.sum() > 20
    np.testing.assert_array_equal(_mask(root, '000000000004'), reference * 1)


def test_id_list_and_class_file(coco_root):
    root, _ = coco_root
    cco.main(['--data-root', root, '--splits', 'train2017'])
    ids = open(osp.join(root, 'ImageSets', 'train2017.txt')).read().split()
    assert ids == [f'train2017/00000000000{k}' for k in (1, 2, 3, 4)]
    classes = json.load(open(osp.join(root, 'masks', 'classes.json')))
    assert [c['name'] for c in classes] == ['person', 'car', 'toothbrush']


def test_missing_annotation_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='instances_val2017.json'):
        cco.convert_split(str(tmp_path), 'val2017')


def test_progress_and_summary_line_count_written_and_skipped(coco_root, capsys):
    root, _ = coco_root
    out_dir = osp.join(root, 'masks', 'train2017')
    result = cco.convert_split(root, 'train2017', nproc=2)
    out = capsys.readouterr().out
    assert '4/4' in out and 'task/s' in out and 'ETA' in out  # mmengine's bar
    assert out.rstrip().splitlines()[-1] == (
        f'train2017: 4 masks written to {out_dir}; skipped 0; 1 of them without '
        'annotations (all background)')
    assert (result['written'], result['skipped_existing']) == (4, 0)
    # a resumed run keeps what is there and says so
    marker = np.full((5, 4), 7, np.uint8)
    Image.fromarray(marker, mode='L').save(osp.join(out_dir, '000000000003.png'))
    cco.main(['--data-root', root, '--splits', 'train2017', '--skip-existing'])
    assert capsys.readouterr().out.rstrip().splitlines()[-1] == (
        f'train2017: 0 masks written to {out_dir}; skipped 4 (4 already there '
        '(--skip-existing)); 0 of them without annotations (all background)')
    np.testing.assert_array_equal(_mask(root, '000000000003'), marker)
    ids = open(osp.join(root, 'ImageSets', 'train2017.txt')).read().split()
    assert len(ids) == 4  # the id list still names every image
