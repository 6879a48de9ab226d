"""PASCAL VOC 2012 + SBD -> ``SegmentationClassAug`` and the train_aug list (docs/method.md §6).

    python tools/convert_voc_aug.py --voc-root data/VOCdevkit/VOC2012 \
        --sbd-root data/benchmark_RELEASE --nproc 4

Writes ``<voc-root>/SegmentationClassAug/<id>.png`` (8-bit class-index PNGs) for every
id of VOC's segmentation train/val lists and of SBD's train/val lists: VOC's own
mask (``SegmentationClass``, with its 255 boundaries) where it exists, else SBD's
``dataset/cls/<id>.mat``. Also writes, sorted:

* ``ImageSets/Segmentation/trainaug.txt``: (VOC train ∪ SBD train ∪ SBD val) − VOC
  val = the 10,582 images of the field's train_aug set (includes VOC train);
* ``ImageSets/Segmentation/aug.txt``: trainaug − VOC train (9,118 ids).

mmseg's ``tools/dataset_converters/voc_aug.py`` is not reused: it converts only the
SBD masks (VOC train ids missing from SBD get no mask and VOC's boundary-ignore
masks are not used) and writes the lists in set order, which changes between runs.
The count check (``--expected-count``, default 10582, 0 disables) catches a wrong
input tree. A progress bar (count, rate, ETA) runs while converting; the last line
counts the masks written, by source.
"""
import argparse
import os
import os.path as osp
import sys


import numpy as np
from PIL import Image

from mmseg_pseudoseg.datasets.split_file import read_split_file
from mmseg_pseudoseg.utils import summary_line, track_jobs

AUG_COUNT = 10582


def _read_list(path: str, root_option: str) -> list:
    """The ids of a VOC / SBD list (``read_split_file``), naming the option to fix
    when the list is missing."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'list not found: {path}; check {root_option}')
    return read_split_file(path)


def read_sbd_mask(mat_path: str) -> np.ndarray:
    """SBD ``cls/<id>.mat`` -> uint8 ``(H, W)`` class indices (``GTcls.Segmentation``)."""
    from scipy.io import loadmat
    data = loadmat(mat_path, squeeze_me=True, struct_as_record=False)
    return np.asarray(data['GTcls'].Segmentation, np.uint8)


def _convert_one(job) -> None:
    img_id, voc_png, sbd_mat, out_path = job
    if voc_png is not None:
        with Image.open(voc_png) as im:
            mask = np.array(im)  # palette PNG: the indices
    else:
        mask = read_sbd_mask(sbd_mat)
    Image.fromarray(mask.astype(np.uint8), mode='L').save(out_path)


def convert(voc_root: str, sbd_root: str, nproc: int = 1,
            expected_count: int = AUG_COUNT) -> dict:
    seg_sets = osp.join(voc_root, 'ImageSets', 'Segmentation')
    voc_train = _read_list(osp.join(seg_sets, 'train.txt'), '--voc-root')
    voc_val = _read_list(osp.join(seg_sets, 'val.txt'), '--voc-root')
    sbd_ids = (_read_list(osp.join(sbd_root, 'dataset', 'train.txt'), '--sbd-root') +
               _read_list(osp.join(sbd_root, 'dataset', 'val.txt'), '--sbd-root'))
    val_set = set(voc_val)
    trainaug = sorted((set(voc_train) | set(sbd_ids)) - val_set)
    if expected_count and len(trainaug) != expected_count:
        raise RuntimeError(
            f'train_aug has {len(trainaug)} ids, expected {expected_count}: check '
            f'--voc-root ({voc_root}) and --sbd-root ({sbd_root}); '
            '--expected-count 0 skips this check.')
    missing = [i for i in trainaug + voc_val
               if not osp.isfile(osp.join(voc_root, 'JPEGImages', i + '.jpg'))]
    if missing:
        raise FileNotFoundError(f'{len(missing)} id(s) have no image in '
                                f'{osp.join(voc_root, "JPEGImages")}: {missing[:5]}')
    out_dir = osp.join(voc_root, 'SegmentationClassAug')
    os.makedirs(out_dir, exist_ok=True)
    jobs = []
    for img_id in sorted(set(trainaug) | val_set):
        voc_png = osp.join(voc_root, 'SegmentationClass', img_id + '.png')
        sbd_mat = osp.join(sbd_root, 'dataset', 'cls', img_id + '.mat')
        if not osp.isfile(voc_png):
            if not osp.isfile(sbd_mat):
                raise FileNotFoundError(f'no mask for {img_id}: neither {voc_png} '
                                        f'nor {sbd_mat} exists.')
            voc_png = None
        jobs.append((img_id, voc_png, sbd_mat,
                     osp.join(out_dir, img_id + '.png')))
    track_jobs(_convert_one, jobs, nproc, chunksize=64)
    aug = sorted(set(trainaug) - set(voc_train))
    for name, ids in (('trainaug', trainaug), ('aug', aug)):
        with open(osp.join(seg_sets, name + '.txt'), 'w') as f:
            f.write('\n'.join(ids) + '\n')
    from_voc = sum(job[1] is not None for job in jobs)
    print(summary_line('masks', len(jobs), out_dir, extra=(
        f'{from_voc} from VOC SegmentationClass, {len(jobs) - from_voc} from SBD '
        f'cls/*.mat; trainaug {len(trainaug)}, aug {len(aug)}')))
    return dict(trainaug=trainaug, aug=aug, masks=len(jobs), from_voc=from_voc)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--voc-root', required=True, help='.../VOCdevkit/VOC2012')
    parser.add_argument('--sbd-root', required=True,
                        help='SBD benchmark_RELEASE (holds dataset/cls)')
    parser.add_argument('--nproc', type=int, default=1)
    parser.add_argument('--expected-count', type=int, default=AUG_COUNT)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    convert(args.voc_root, args.sbd_root, args.nproc, args.expected_count)


if __name__ == '__main__':
    sys.exit(main())
