"""tools/convert_voc_aug.py on a synthetic VOC + SBD tree."""
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from synthetic_voc import make_voc_tree
from tool_module import load_tool

cva = load_tool('convert_voc_aug.py', register=True)


@pytest.fixture
def trees(tmp_path):
    voc = str(tmp_path / 'VOC2012')
    lists = make_voc_tree(voc, n_train=4, n_val=2, n_aug_only=3, size=(20, 24))
    shutil.rmtree(osp.join(voc, 'SegmentationClassAug'))
    aug_only = [i for i in lists['trainaug'] if i not in lists['train']]
    # VOC lists only train/val; the aug-only ids are SBD's
    sbd = tmp_path / 'benchmark_RELEASE' / 'dataset'
    (sbd / 'cls').mkdir(parents=True)
    sbd_masks = {}
    for k, img_id in enumerate(aug_only + lists['train'][:2] + lists['val'][:1]):
        with Image.open(osp.join(voc, 'JPEGImages', img_id + '.jpg')) as im:
            w, h = im.size
        mask = np.full((h, w), 2 + k, np.uint8)
        mask[0, 0] = 255
        sbd_masks[img_id] = mask
        savemat(str(sbd / 'cls' / f'{img_id}.mat'),
                {'GTcls': {'Segmentation': mask, 'CategoriesPresent': np.array([2 + k])}})
    (sbd / 'train.txt').write_text('\n'.join(aug_only[:2] + lists['train'][:2]) + '\n')
    (sbd / 'val.txt').write_text('\n'.join(aug_only[2:] + lists['val'][:1]) + '\n')
    return voc, str(tmp_path / 'benchmark_RELEASE'), lists, aug_only, sbd_masks


def test_masks_and_lists(trees, capsys):
    voc, sbd, lists, aug_only, sbd_masks = trees
    result = cva.convert(voc, sbd, expected_count=len(lists['train']) + 3)
    printed = capsys.readouterr().out
    n_voc = len(lists['train']) + len(lists['val'])
    assert f'{n_voc + 3}/{n_voc + 3}' in printed and 'ETA' in printed
    assert printed.rstrip().splitlines()[-1] == (
        f'{n_voc + 3} masks written to {osp.join(voc, "SegmentationClassAug")}; '
        f'skipped 0; {n_voc} from VOC SegmentationClass, 3 from SBD cls/*.mat; '
        f'trainaug {len(lists["train"]) + 3}, aug 3')
    seg_sets = osp.join(voc, 'ImageSets', 'Segmentation')
    trainaug = open(osp.join(seg_sets, 'trainaug.txt')).read().split()
    assert trainaug == sorted(lists['train'] + aug_only) == result['trainaug']
    assert open(osp.join(seg_sets, 'aug.txt')).read().split() == sorted(aug_only)
    assert not set(trainaug) & set(lists['val'])
    out = osp.join(voc, 'SegmentationClassAug')
    for img_id in lists['train'] + lists['val']:  # VOC's own masks win
        voc_mask = np.array(Image.open(osp.join(voc, 'SegmentationClass',
                                                img_id + '.png')))
        np.testing.assert_array_equal(
            np.array(Image.open(osp.join(out, img_id + '.png'))), voc_mask)
    for img_id in aug_only:
        np.testing.assert_array_equal(
            np.array(Image.open(osp.join(out, img_id + '.png'))), sbd_masks[img_id])
    assert Image.open(osp.join(out, aug_only[0] + '.png')).mode == 'L'


def test_count_check_and_missing_inputs(trees, tmp_path):
    voc, sbd, *_ = trees
    with pytest.raises(RuntimeError, match='expected 10582'):
        cva.convert(voc, sbd)
    missing = osp.join(str(tmp_path / 'nowhere'), 'dataset', 'train.txt')
    with pytest.raises(FileNotFoundError,
                       match=f'^list not found: {missing}; check --sbd-root$'):
        cva.convert(voc, str(tmp_path / 'nowhere'), expected_count=0)
    with open(osp.join(sbd, 'dataset', 'val.txt'), 'a') as f:
        f.write('a b c\n')  # read_split_file's checks apply to every list
    with pytest.raises(ValueError, match='val.txt:[0-9]+: expected an image id'):
        cva.convert(voc, sbd, expected_count=0)
