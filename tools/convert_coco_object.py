"""COCO instance annotations -> 81-class semantic PNGs ("COCO-object", docs/method.md §6).

    python tools/convert_coco_object.py --data-root data/coco --nproc 8 \
        [--skip-existing]

Reads ``<data-root>/annotations/instances_<split>.json`` (pycocotools) for each
``--splits`` entry (default ``train2017 val2017``) and writes

* ``<data-root>/masks/<split>/<image stem>.png``: 8-bit class-index PNG;
* ``<data-root>/ImageSets/<split>.txt``: the ids ``<split>/<image stem>`` (sorted,
  every image of the json, also those without annotations);
* ``<data-root>/masks/classes.json``: index -> COCO category id and name.

Class index: the categories sorted by category id are numbered 1..K (K = 80 for
COCO: the order of ``SemiCOCOObjectDataset``), 0 = background.

Painting rule (deterministic): start from background 0; paint every crowd region
(``iscrowd=1``) with 255 (ignore); then paint the non-crowd instances in order of
decreasing mask area (pixel count), ties by increasing annotation id, each one over
what is already there. So a smaller instance lies on top of a larger one that
overlaps it, and a labelled instance wins over a crowd region.

A progress bar (count, rate, ETA) runs per split; its last line counts the masks
written and the masks skipped, with the reason (``--skip-existing`` keeps the masks
of an interrupted run).
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Sequence, Tuple


import numpy as np
from PIL import Image

from mmseg_pseudoseg.utils import summary_line, track_jobs

IGNORE_INDEX = 255


def decode_segmentation(segm, height: int, width: int) -> np.ndarray:
    """Polygon list / uncompressed RLE / RLE -> bool mask ``(H, W)`` (``annToMask``)."""
    from pycocotools import mask as mask_utils
    if isinstance(segm, list):
        rle = mask_utils.merge(mask_utils.frPyObjects(segm, height, width))
    elif isinstance(segm.get('counts'), list):
        rle = mask_utils.frPyObjects(segm, height, width)
    else:
        rle = segm
    return mask_utils.decode(rle).astype(bool)


def paint_semantic_mask(height: int, width: int,
                        annotations: Sequence[dict]) -> np.ndarray:
    """Apply the module's painting rule. ``annotations``: dicts with ``id``,
    ``class_index``, ``iscrowd``, ``segmentation``. Returns uint8 ``(H, W)``."""
    out = np.zeros((height, width), np.uint8)
    instances = []
    for ann in annotations:
        mask = decode_segmentation(ann['segmentation'], height, width)
        if ann.get('iscrowd', 0):
            out[mask] = IGNORE_INDEX
        else:
            instances.append((-int(mask.sum()), int(ann['id']), ann['class_index'],
                              mask))
    for _, _, class_index, mask in sorted(instances, key=lambda t: (t[0], t[1])):
        out[mask] = class_index
    return out


def _convert_one(job: Tuple[str, int, int, List[dict]]) -> None:
    out_path, height, width, annotations = job
    Image.fromarray(paint_semantic_mask(height, width, annotations), mode='L').save(
        out_path)


def convert_split(data_root: str, split: str, out_dir: str = 'masks',
                  nproc: int = 1, skip_existing: bool = False) -> Dict:
    """Convert one split; return ``{'ids': [...], 'classes': [...], 'written': n,
    'skipped_existing': n, 'unannotated': n}``."""
    from pycocotools.coco import COCO
    ann_path = osp.join(data_root, 'annotations', f'instances_{split}.json')
    if not osp.isfile(ann_path):
        raise FileNotFoundError(f'annotation file not found: {ann_path}')
    coco = COCO(ann_path)
    cat_ids = sorted(coco.getCatIds())
    class_index = {cat_id: k + 1 for k, cat_id in enumerate(cat_ids)}
    if len(cat_ids) >= IGNORE_INDEX:
        raise ValueError(f'{ann_path}: {len(cat_ids)} categories do not fit in 8 bits.')
    os.makedirs(osp.join(data_root, out_dir, split), exist_ok=True)
    jobs, ids, existing, unannotated = [], [], 0, 0
    for img_id in sorted(coco.getImgIds()):
        info = coco.imgs[img_id]
        stem = osp.splitext(info['file_name'])[0]
        anns = []
        for ann in coco.imgToAnns.get(img_id, []):
            if ann['category_id'] not in class_index:
                raise ValueError(f'{ann_path}: annotation {ann["id"]} has unknown '
                                 f'category_id {ann["category_id"]}.')
            anns.append(dict(id=ann['id'], iscrowd=ann.get('iscrowd', 0),
                             segmentation=ann['segmentation'],
                             class_index=class_index[ann['category_id']]))
        ids.append(f'{split}/{stem}')
        out_path = osp.join(data_root, out_dir, split, stem + '.png')
        if skip_existing and osp.isfile(out_path):
            existing += 1
            continue
        unannotated += not anns
        jobs.append((out_path, info['height'], info['width'], anns))
    track_jobs(_convert_one, jobs, nproc, chunksize=32)
    os.makedirs(osp.join(data_root, 'ImageSets'), exist_ok=True)
    with open(osp.join(data_root, 'ImageSets', f'{split}.txt'), 'w') as f:
        f.write('\n'.join(sorted(ids)) + '\n')
    classes = [dict(index=class_index[c], category_id=c,
                    name=coco.cats[c]['name']) for c in cat_ids]
    with open(osp.join(data_root, out_dir, 'classes.json'), 'w') as f:
        json.dump(classes, f, indent=1)
    _check_names([c['name'] for c in classes])
    print(f'{split}: ' + summary_line(
        'masks', len(jobs), osp.join(data_root, out_dir, split),
        {'already there (--skip-existing)': existing},
        f'{unannotated} of them without annotations (all background)'))
    return dict(ids=sorted(ids), classes=classes, written=len(jobs),
                skipped_existing=existing, unannotated=unannotated)


def _check_names(names: List[str]) -> None:
    from mmseg_pseudoseg.datasets.coco_object_semi import COCO_OBJECT_CLASSES
    if names != list(COCO_OBJECT_CLASSES[1:]):
        print('warning: the categories differ from the 80 COCO classes of '
              'SemiCOCOObjectDataset; set metainfo=dict(classes=[background, ...]) '
              'in the dataset config (see masks/classes.json).', file=sys.stderr)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data-root', required=True, help='COCO root (holds '
                        'annotations/ and the image folders)')
    parser.add_argument('--splits', nargs='+', default=['train2017', 'val2017'])
    parser.add_argument('--out-dir', default='masks', help='relative to data-root')
    parser.add_argument('--nproc', type=int, default=1)
    parser.add_argument('--skip-existing', action='store_true',
                        help='keep the masks that already exist (resume a run)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    for split in args.splits:
        convert_split(args.data_root, split, args.out_dir, args.nproc,
                      args.skip_existing)


if __name__ == '__main__':
    main()
