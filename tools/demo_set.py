"""The demo dataset: scenes of :mod:`.scenes` written as a VOC-format tree.

Layout written under ``out_root`` (the VOC 2012 + SBD-aug layout)::

    JPEGImages/<id>.jpg                 every id
    SegmentationClass/<id>.png          palette PNG (VOC palette), train + val
    SegmentationClassAug/<id>.png       plain 'L' PNG, every id
    ImageSets/Segmentation/train.txt    the labelled pool (VOC's 1,464 'train')
    ImageSets/Segmentation/val.txt      evaluation images
    ImageSets/Segmentation/trainaug.txt train + extra ids (VOC's 10,582 list)
    ImageSets/SegmentationSemi/<f>_seed<s>.txt  labelled splits of train,
                                        f in 1-2, 1-4, 1-8, 1-16; s in 1, 2, 3
    demo_meta.json                      classes, counts, per-class image counts,
                                        SHA-256 of every list

Everything is a function of ``seed``: image ``i`` of split ``s`` is drawn
from ``np.random.default_rng([seed, split_code, i])``, so a run with
``scale < 1`` writes a subset of the full set, and two runs write identical
bytes.
"""
import hashlib
import json
import os
import os.path as osp
from multiprocessing import Pool
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

from demo_scenes import (DEMO_CLASSES, DEMO_VOC_IDS, IGNORE, IMAGE_HW, OBJECTS,
                         VOC_CLASSES, load_sources, render_scene, voc_palette)
from make_splits import sample_split

#: Bumped whenever the generated data change; written to ``demo_meta.json`` so
#: callers can tell a stale set (the calibration holds for this version only).
DATA_VERSION = 2
#: Default sizes (ids): the labelled pool, val, extra-only (SBD-like) images.
DEFAULT_SIZES = dict(train=1024, val=256, extra=2048)
FRACTIONS = (2, 4, 8, 16)
SPLIT_SEEDS = (1, 2, 3)
_SPLIT_CODE = dict(train=1, val=2, extra=3)
_PREFIX = dict(train='demo_t', val='demo_v', extra='demo_x')

_SRC = None


def _init_worker():
    global _SRC
    cv2.setNumThreads(1)
    _SRC = load_sources()


def _write_one(job) -> Tuple[str, List[int]]:
    """Render and write one id; returns (id, sorted VOC ids present)."""
    out_root, seed, split, index = job
    img_id = f'{_PREFIX[split]}{index:05d}'
    rng = np.random.default_rng([seed, _SPLIT_CODE[split], index])
    # a deterministic class cycle keeps every set (even a tiny one)
    # class-complete and balanced; the other objects are random
    image, label = render_scene(rng, _SRC, index % len(OBJECTS))
    Image.fromarray(image).save(
        osp.join(out_root, 'JPEGImages', img_id + '.jpg'), quality=90)
    Image.fromarray(label, mode='L').save(
        osp.join(out_root, 'SegmentationClassAug', img_id + '.png'))
    if split != 'extra':
        pal = Image.fromarray(label, mode='P')
        pal.putpalette(voc_palette())
        pal.save(osp.join(out_root, 'SegmentationClass', img_id + '.png'))
    present = sorted(int(v) for v in np.unique(label) if 0 < v < IGNORE)
    return img_id, present


def demo_split(ids: Sequence[str], present: Dict[str, List[int]], n: int,
               seed: int, min_per_class: int = 2, max_tries: int = 1000) -> List[str]:
    """Class-aware random subset of ``ids``: ``make_splits.sample_split``'s
    rejection sampling (docs/method.md §6) over the demo classes, every class in
    at least ``min_per_class`` of the ``n`` ids (lowered for tiny sets, where that
    is impossible)."""
    need = max(1, min(min_per_class, n * 2 // len(DEMO_VOC_IDS)))
    presence = np.array([[c in present[i] for c in DEMO_VOC_IDS] for i in ids])
    pick, _, _ = sample_split(presence, n, seed, 7919, need, max_tries,
                              [str(c) for c in DEMO_VOC_IDS], name='demo split')
    return [ids[i] for i in pick.tolist()]


def _write_list(path: str, ids: Sequence[str]) -> str:
    text = '\n'.join(ids) + '\n'
    with open(path, 'w') as f:
        f.write(text)
    return hashlib.sha256(text.encode()).hexdigest()


def make_demo_data(out_root: str, seed: int = 0, scale: float = 1.0,
                   workers: int = 2) -> dict:
    """Write the demo set under ``out_root``; return its manifest (a dict)."""
    if not 0 < scale <= 1:
        raise ValueError(f'--scale must be in (0, 1], got {scale}')
    sizes = {k: max(2 * len(OBJECTS), int(round(v * scale)))
             for k, v in DEFAULT_SIZES.items()}
    for sub in ('JPEGImages', 'SegmentationClass', 'SegmentationClassAug',
                'ImageSets/Segmentation', 'ImageSets/SegmentationSemi'):
        os.makedirs(osp.join(out_root, sub), exist_ok=True)
    jobs = [(out_root, seed, split, i) for split in ('train', 'val', 'extra')
            for i in range(sizes[split])]
    if workers > 1:
        with Pool(workers, initializer=_init_worker) as pool:
            results = pool.map(_write_one, jobs, chunksize=32)
    else:
        _init_worker()
        results = [_write_one(job) for job in jobs]
    present = dict(results)
    ids = {split: [f'{_PREFIX[split]}{i:05d}' for i in range(sizes[split])]
           for split in sizes}
    lists = {'train': ids['train'], 'val': ids['val'],
             'trainaug': ids['train'] + ids['extra']}
    manifest = dict(data_version=DATA_VERSION, seed=seed, scale=scale,
                    image_hw=list(IMAGE_HW),
                    classes=list(DEMO_CLASSES),
                    voc_ids=[0] + list(DEMO_VOC_IDS), counts={}, sha256={},
                    images_per_class={})
    seg_dir = osp.join(out_root, 'ImageSets/Segmentation')
    semi_dir = osp.join(out_root, 'ImageSets/SegmentationSemi')
    for name, members in lists.items():
        manifest['sha256'][f'Segmentation/{name}.txt'] = _write_list(
            osp.join(seg_dir, name + '.txt'), members)
        manifest['counts'][name] = len(members)
    for frac in FRACTIONS:
        n = max(2 * len(OBJECTS), len(ids["train"]) // frac)
        for s in SPLIT_SEEDS:
            pick = demo_split(ids['train'], present, n, seed * 1000 + s)
            key = f'SegmentationSemi/1-{frac}_seed{s}.txt'
            manifest['sha256'][key] = _write_list(
                osp.join(semi_dir, f'1-{frac}_seed{s}.txt'), pick)
            manifest['counts'][f'1-{frac}_seed{s}'] = len(pick)
    for split in ('train', 'val', 'extra'):
        per = {c: 0 for c in DEMO_CLASSES[1:]}
        for i in ids[split]:
            for v in present[i]:
                per[VOC_CLASSES[v]] += 1
        manifest['images_per_class'][split] = per
    with open(osp.join(out_root, 'demo_meta.json'), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    return manifest

