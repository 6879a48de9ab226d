"""Generate labelled splits by seeded, class-aware rejection sampling (SPEC §6).

For each fraction ``1/k`` and seed, draw ``ceil(N / k)`` ids of the source list
(VOC ``train``: 1,464 ids; COCO ``train2017``: 118,287) uniformly without
replacement, and redraw until every class appears in at least ``--min-per-class``
sampled images (the paper's Appendix C). Class presence is read from the label
masks, not from hard-coded ids. Classes that cannot reach the minimum in the whole
source list are reported and not required.

    python tools/make_splits.py voc  --data-root data/VOCdevkit/VOC2012
    python tools/make_splits.py coco --data-root data/coco --nproc 8

Writes ``<data-root>/ImageSets/SegmentationSemi/1-<k>_seed<s>.txt`` (one id per
line, sorted, the format of the field's standard lists) and ``manifest.json`` there
(source list and its SHA-256, per split: count, tries, images per class, SHA-256 of
the file). Default fractions: VOC 1/2 1/4 1/8 1/16, COCO 1/32 ... 1/512; seeds
1 2 3. The same arguments always give the same files.
"""
import argparse
import hashlib
import json
import math
import os
import os.path as osp
import sys
from multiprocessing import Pool
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

DEFAULTS = {
    'voc': dict(source='ImageSets/Segmentation/train.txt',
                mask_dir='SegmentationClass', image_dir='JPEGImages',
                fractions=[2, 4, 8, 16]),
    'coco': dict(source='ImageSets/train2017.txt', mask_dir='masks', image_dir='',
                 fractions=[32, 64, 128, 256, 512]),
}
OUT_DIR = 'ImageSets/SegmentationSemi'
IGNORE_INDEX = 255


def class_names(dataset: str) -> List[str]:
    if dataset == 'voc':
        from mmseg.datasets import PascalVOCDataset
        return list(PascalVOCDataset.METAINFO['classes'])
    from mmseg_pseudoseg.datasets.coco_object_semi import COCO_OBJECT_CLASSES
    return list(COCO_OBJECT_CLASSES)


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def split_size(num_images: int, denominator: int) -> int:
    """``ceil(N / k)``: 1464 -> 732/366/183/92; 118287 -> 3697/1849/925/463/232."""
    return math.ceil(num_images / denominator)


def _presence_row(args) -> np.ndarray:
    path, num_classes = args
    try:
        with Image.open(path) as im:
            mask = np.array(im)
    except Exception as err:  # noqa: BLE001
        raise RuntimeError(f'cannot read mask {path}: {err}') from err
    if mask.ndim != 2:
        raise ValueError(f'mask {path} has shape {mask.shape}; expected a 2-D '
                         'class-index PNG (palette or grayscale).')
    counts = np.bincount(mask.ravel().astype(np.int64), minlength=256)
    bad = [v for v in np.flatnonzero(counts) if v >= num_classes and v != IGNORE_INDEX]
    if bad:
        raise ValueError(f'mask {path} has values {bad[:10]} outside '
                         f'[0, {num_classes}) and {IGNORE_INDEX}.')
    return counts[:num_classes] > 0


def class_presence(mask_paths: Sequence[str], num_classes: int,
                   nproc: int = 1) -> np.ndarray:
    """Bool ``(N, C)``: image ``i`` contains class ``c``."""
    jobs = [(p, num_classes) for p in mask_paths]
    if nproc > 1:
        with Pool(nproc) as pool:
            rows = pool.map(_presence_row, jobs, chunksize=64)
    else:
        rows = [_presence_row(j) for j in jobs]
    return np.stack(rows) if rows else np.zeros((0, num_classes), bool)


def sample_split(presence: np.ndarray, size: int, seed: int, denominator: int,
                 min_per_class: int, max_tries: int, classes: Sequence[str]):
    """Rejection sampling; returns ``(indices sorted, tries, required classes)``."""
    pool_counts = presence.sum(0)
    required = np.flatnonzero(pool_counts >= min_per_class)
    rng = np.random.default_rng([seed, denominator])
    misses = np.zeros(presence.shape[1], np.int64)
    for tries in range(1, max_tries + 1):
        idx = rng.choice(presence.shape[0], size=size, replace=False)
        counts = presence[idx].sum(0)
        short = required[counts[required] < min_per_class]
        if short.size == 0:
            return np.sort(idx), tries, required
        misses[short] += 1
    worst = [classes[c] for c in np.argsort(-misses)[:5] if misses[c] > 0]
    raise RuntimeError(
        f'1/{denominator} seed {seed}: no draw of {size} images had every class '
        f'>= {min_per_class} times in {max_tries} tries (most often short: '
        f'{worst}). Lower --min-per-class or raise --max-tries.')


def make_splits(dataset: str, data_root: str, source: Optional[str] = None,
                mask_dir: Optional[str] = None, fractions: Sequence[int] = (),
                seeds: Sequence[int] = (1, 2, 3), min_per_class: int = 1,
                max_tries: int = 100000, out_dir: str = OUT_DIR,
                nproc: int = 1) -> Dict:
    """Write the split files and the manifest; return the manifest dict."""
    from mmseg_pseudoseg.datasets.split_file import (check_ids_on_disk,
                                                     read_split_file)
    defaults = DEFAULTS[dataset]
    source = source or defaults['source']
    mask_dir = mask_dir or defaults['mask_dir']
    fractions = list(fractions) or defaults['fractions']
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'data root {data_root} does not exist.')
    source_path = osp.join(data_root, source)
    ids = read_split_file(source_path, image_dir=defaults['image_dir'])
    mask_paths = [osp.join(data_root, mask_dir, i + '.png') for i in ids]
    check_ids_on_disk(ids, {'mask': mask_paths}, source_path)
    classes = class_names(dataset)
    presence = class_presence(mask_paths, len(classes), nproc)
    pool_counts = presence.sum(0)
    infeasible = [classes[c] for c in range(len(classes))
                  if pool_counts[c] < min_per_class]
    if infeasible:
        print(f'warning: {len(infeasible)} class(es) appear in fewer than '
              f'{min_per_class} image(s) of {source} and are not required: '
              f'{infeasible}', file=sys.stderr)

    out_abs = osp.join(data_root, out_dir)
    os.makedirs(out_abs, exist_ok=True)
    manifest_path = osp.join(out_abs, 'manifest.json')
    manifest = {}
    if osp.isfile(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    manifest.update({
        'tool': 'tools/make_splits.py', 'dataset': dataset,
        'source': {'file': source, 'count': len(ids),
                   'sha256': sha256_of(source_path)},
        'mask_dir': mask_dir, 'min_per_class': min_per_class,
        'classes': classes,
        'source_class_images': {c: int(n) for c, n in zip(classes, pool_counts)},
    })
    splits = manifest.setdefault('splits', {})
    for denominator in fractions:
        size = split_size(len(ids), denominator)
        for seed in seeds:
            idx, tries, _ = sample_split(presence, size, seed, denominator,
                                         min_per_class, max_tries, classes)
            chosen = sorted(ids[i] for i in idx)
            name = f'1-{denominator}_seed{seed}'
            rel = osp.join(out_dir, name + '.txt')
            with open(osp.join(data_root, rel), 'w') as f:
                f.write('\n'.join(chosen) + '\n')
            counts = presence[idx].sum(0)
            splits[name] = {
                'file': rel, 'fraction': f'1/{denominator}', 'seed': seed,
                'count': len(chosen), 'tries': tries,
                'class_images': {c: int(n) for c, n in zip(classes, counts)},
                'sha256': sha256_of(osp.join(data_root, rel)),
            }
            print(f'{rel}: {len(chosen)} ids ({tries} draw(s))')
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    return manifest


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('dataset', choices=sorted(DEFAULTS))
    parser.add_argument('--data-root', required=True,
                        help='VOC2012 folder or COCO root')
    parser.add_argument('--source', help='list to sample from, relative to '
                        'data-root (VOC: ImageSets/Segmentation/train.txt; COCO: '
                        'ImageSets/train2017.txt)')
    parser.add_argument('--mask-dir', help='label masks, relative to data-root '
                        '(VOC: SegmentationClass; COCO: masks)')
    parser.add_argument('--fractions', type=int, nargs='+', default=[],
                        help='denominators k of the fractions 1/k')
    parser.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3])
    parser.add_argument('--min-per-class', type=int, default=1)
    parser.add_argument('--max-tries', type=int, default=100000)
    parser.add_argument('--out-dir', default=OUT_DIR,
                        help='output folder, relative to data-root')
    parser.add_argument('--nproc', type=int, default=1)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    make_splits(args.dataset, args.data_root, args.source, args.mask_dir,
                args.fractions, args.seeds, args.min_per_class, args.max_tries,
                args.out_dir, args.nproc)


if __name__ == '__main__':
    main()
