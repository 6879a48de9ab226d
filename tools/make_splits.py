"""Write labelled splits: the paper's released lists, or seeded class-aware draws.

``--released`` (VOC, COCO) writes the lists published with the authors' code
(googleinterns/wss, Apache-2.0; shipped in
``mmseg_pseudoseg/datasets/released_splits/`` with their licence) under the names
the configs read, after checking each file's SHA-256 and, when the source list is
present, that every id is in it (docs/method.md §6):

    python tools/make_splits.py voc  --data-root data/VOCdevkit/VOC2012 --released
    python tools/make_splits.py coco --data-root data/coco --released

VOC: ``1-16_seed1`` = ``16_clean_3`` (the paper's 1/16), ``1-16_seed2`` =
``16_clean_14``, ``1-16_seed3`` = ``16_clean_20``, ``1-8_seed1`` = ``8_clean``,
``1-4_seed1`` = ``4_clean``, ``1-2_seed1`` = ``2_clean``; COCO ``1-<k>_seed1`` =
``<k>_all``. They go to ``<data-root>/ImageSets/SegmentationSemi/`` with a
``manifest.json`` that names the repository, upstream path and commit of each.

Without ``--released`` the tool draws its own splits (docs/method.md §6). For each
fraction ``1/k`` and seed, draw ``ceil(N / k)`` ids of the source list
(VOC ``train``: 1,464 ids; COCO ``train2017``: 118,287) uniformly without
replacement, and redraw until every class appears in at least ``--min-per-class``
sampled images (the paper's Appendix C). Class presence is read from the label
masks, not from hard-coded ids. Classes that cannot reach the minimum in the whole
source list are reported and not required.

    python tools/make_splits.py voc  --data-root data/VOCdevkit/VOC2012
    python tools/make_splits.py coco --data-root data/coco --nproc 8
    python tools/make_splits.py folder --data-root data/my_dataset --fractions 4 8
    python tools/make_splits.py folder --data-root data/my_dataset --counts 50 100

Writes ``<data-root>/ImageSets/SegmentationSemi/drawn/1-<k>_seed<s>.txt`` (one id
per line, sorted, the format of the field's standard lists; a folder of their own, so
the released lists keep the names the configs read) and ``manifest.json`` there
(source list and its SHA-256, per split: count, tries, images per class, SHA-256 of
the file). Default fractions: VOC 1/2 1/4 1/8 1/16, COCO 1/32 ... 1/512; seeds
1 2 3. ``--counts n ...`` draws splits of ``n`` images (``n<n>_seed<s>.txt``). The
same arguments always give the same files.

``folder`` (a :class:`SemiFolderDataset` layout): the source is every image of
``labelled/images`` (ids = file names without extension; each needs its mask in
``labelled/masks``), the classes come from ``--classes`` or ``classes.txt``, and
the splits go to ``<data-root>/splits/`` (the labelled set's ``ann_file``).
"""
import argparse
import hashlib
import json
import math
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image


OUT_DIR = 'ImageSets/SegmentationSemi'
DRAWN_DIR = OUT_DIR + '/drawn'
DEFAULTS = {
    'voc': dict(source='ImageSets/Segmentation/train.txt',
                mask_dir='SegmentationClass', image_dir='JPEGImages',
                fractions=[2, 4, 8, 16], out_dir=DRAWN_DIR),
    'coco': dict(source='ImageSets/train2017.txt', mask_dir='masks', image_dir='',
                 fractions=[32, 64, 128, 256, 512], out_dir=DRAWN_DIR),
    'folder': dict(source=None, mask_dir='labelled/masks',
                   image_dir='labelled/images', fractions=[], out_dir='splits'),
}
IGNORE_INDEX = 255


def class_names(dataset: str, data_root: str = '',
                classes: Optional[Sequence[str]] = None) -> List[str]:
    if classes:
        return list(classes)
    if dataset == 'folder':
        from mmseg_pseudoseg.datasets.semi_folder_dataset import read_classes_file
        return read_classes_file(osp.join(data_root, 'classes.txt'))[0]
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
        raise ValueError(f'mask {path} has values {[int(v) for v in bad[:10]]} '
                         f'outside the {num_classes} classes [0, {num_classes}) and '
                         f'the ignore value {IGNORE_INDEX}.\n'
                         'Fix the mask, or list every class (--classes / '
                         'classes.txt).')
    return counts[:num_classes] > 0


def class_presence(mask_paths: Sequence[str], num_classes: int,
                   nproc: int = 1) -> np.ndarray:
    """Bool ``(N, C)``: image ``i`` contains class ``c`` (with a progress bar)."""
    from mmengine.utils import track_parallel_progress, track_progress
    jobs = [(p, num_classes) for p in mask_paths]
    if not jobs:
        rows = []
    elif nproc > 1:
        rows = track_parallel_progress(_presence_row, jobs, nproc,
                                       chunksize=min(64, max(1, len(jobs) // nproc)),
                                       file=sys.stderr)
    else:
        rows = track_progress(_presence_row, jobs, file=sys.stderr)
    return np.stack(rows) if rows else np.zeros((0, num_classes), bool)


def sample_split(presence: np.ndarray, size: int, seed: int, denominator: int,
                 min_per_class: int, max_tries: int, classes: Sequence[str],
                 name: Optional[str] = None):
    """Rejection sampling; returns ``(indices sorted, tries, required classes)``.

    ``denominator`` seeds the stream with ``seed`` (a count split passes
    ``-count``, so fraction and count splits never share a stream); ``name``
    labels the split in the error message.
    """
    pool_counts = presence.sum(0)
    required = np.flatnonzero(pool_counts >= min_per_class)
    rng = np.random.default_rng([seed, denominator] if denominator > 0 else
                                [seed, 0, -denominator])
    name = name or f'1/{denominator}'
    if size > presence.shape[0]:
        raise ValueError(f'{name} seed {seed}: {size} images requested but the '
                         f'source has {presence.shape[0]}.')
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
        f'{name} seed {seed}: no draw of {size} images had every class '
        f'>= {min_per_class} times in {max_tries} tries (most often short: '
        f'{worst}). Lower --min-per-class or raise --max-tries.')


def _folder_source(data_root: str, image_dir: str, mask_dir: str):
    """Ids of every image in ``image_dir`` and their mask paths (each must exist)."""
    from mmseg_pseudoseg.datasets.image_listing import list_images
    img_abs = osp.join(data_root, image_dir)
    if not osp.isdir(img_abs):
        raise FileNotFoundError(f'image folder {img_abs} does not exist.\n'
                                'Set --image-dir to the labelled images.')
    images = list_images(img_abs)
    if not images:
        raise ValueError(f'image folder {img_abs} holds no image.')
    ids = list(images)
    mask_paths = [osp.join(data_root, mask_dir, i + '.png') for i in ids]
    without = [osp.join(img_abs, images[i]) for i, m in zip(ids, mask_paths)
               if not osp.isfile(m)]
    if without:
        raise FileNotFoundError(
            f'{len(without)} image(s) of {img_abs} have no mask in '
            f'{osp.join(data_root, mask_dir)}: {", ".join(without[:5])}'
            f'{" ..." if len(without) > 5 else ""}.\n'
            'Add <id>.png masks, or move those images to the unlabelled folder.')
    return ids, mask_paths, img_abs


def make_splits(dataset: str, data_root: str, source: Optional[str] = None,
                mask_dir: Optional[str] = None, fractions: Sequence[int] = (),
                seeds: Sequence[int] = (1, 2, 3), min_per_class: int = 1,
                max_tries: int = 100000, out_dir: Optional[str] = None,
                nproc: int = 1, counts: Sequence[int] = (),
                classes: Optional[Sequence[str]] = None,
                image_dir: Optional[str] = None) -> Dict:
    """Write the split files and the manifest; return the manifest dict.

    ``fractions`` (denominators k: ``ceil(N/k)`` images) and ``counts`` (numbers of
    images) may be combined; ``classes`` overrides the dataset's class names
    (``folder``: else ``<data_root>/classes.txt``).
    """
    from mmseg_pseudoseg.datasets.split_file import (check_ids_on_disk,
                                                     read_split_file)
    defaults = DEFAULTS[dataset]
    mask_dir = mask_dir or defaults['mask_dir']
    out_dir = out_dir or defaults['out_dir']
    fractions = list(fractions) or ([] if counts else defaults['fractions'])
    if not fractions and not counts:
        raise ValueError(f'{dataset}: give --fractions and/or --counts.')
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'data root {data_root} does not exist.')
    if dataset == 'folder' and source is None:
        image_dir = image_dir or defaults['image_dir']
        ids, mask_paths, source_path = _folder_source(data_root, image_dir, mask_dir)
        source_info = {'folder': image_dir, 'count': len(ids),
                       'sha256': hashlib.sha256('\n'.join(ids).encode()).hexdigest()}
    else:
        source = source or defaults['source']
        source_path = osp.join(data_root, source)
        ids = read_split_file(source_path, image_dir=defaults['image_dir'])
        mask_paths = [osp.join(data_root, mask_dir, i + '.png') for i in ids]
        check_ids_on_disk(ids, {'mask': mask_paths}, source_path)
        source_info = {'file': source, 'count': len(ids),
                       'sha256': sha256_of(source_path)}
    classes = class_names(dataset, data_root, classes)
    presence = class_presence(mask_paths, len(classes), nproc)
    pool_counts = presence.sum(0)
    infeasible = [classes[c] for c in range(len(classes))
                  if pool_counts[c] < min_per_class]
    if infeasible:
        print(f'warning: {len(infeasible)} class(es) appear in fewer than '
              f'{min_per_class} image(s) of {source_path} and are not required: '
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
        'source': source_info,
        'mask_dir': mask_dir, 'min_per_class': min_per_class,
        'classes': classes,
        'source_class_images': {c: int(n) for c, n in zip(classes, pool_counts)},
    })
    splits = manifest.setdefault('splits', {})
    requests = ([(split_size(len(ids), k), k, f'1-{k}', f'1/{k}') for k in fractions]
                + [(int(n), -int(n), f'n{int(n)}', str(int(n))) for n in counts])
    for size, stream, stem, fraction in requests:
        for seed in seeds:
            idx, tries, _ = sample_split(presence, size, seed, stream,
                                         min_per_class, max_tries, classes,
                                         name=fraction if stream > 0 else
                                         f'{size} images')
            chosen = sorted(ids[i] for i in idx)
            name = f'{stem}_seed{seed}'
            rel = osp.join(out_dir, name + '.txt')
            with open(osp.join(data_root, rel), 'w') as f:
                f.write('\n'.join(chosen) + '\n')
            counts_per_class = presence[idx].sum(0)
            splits[name] = {
                'file': rel, 'fraction': fraction, 'seed': seed,
                'count': len(chosen), 'tries': tries,
                'class_images': {c: int(n) for c, n in
                                 zip(classes, counts_per_class)},
                'sha256': sha256_of(osp.join(data_root, rel)),
            }
            print(f'{rel}: {len(chosen)} ids ({tries} draw(s))')
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    return manifest


def released_dir() -> str:
    """The folder of the shipped released lists (``manifest.json``, ``LICENSE``)."""
    import mmseg_pseudoseg
    return osp.join(osp.dirname(osp.abspath(mmseg_pseudoseg.__file__)), 'datasets',
                    'released_splits')


def write_released(dataset: str, data_root: str,
                   out_dir: Optional[str] = None) -> Dict:
    """Write the authors' published lists under the configs' names; return the manifest.

    Each shipped file must match the SHA-256 recorded in
    ``released_splits/manifest.json``; when the dataset's source list
    (``DEFAULTS[dataset]['source']``) exists under ``data_root``, every id must be
    in it. The files are copied byte for byte.
    """
    from mmseg_pseudoseg.datasets.split_file import (format_offenders,
                                                     read_split_file)
    folder = released_dir()
    with open(osp.join(folder, 'manifest.json')) as f:
        shipped = json.load(f)
    if dataset not in shipped['datasets']:
        raise ValueError(f'--released: the authors published lists for '
                         f'{sorted(shipped["datasets"])} only, not {dataset!r}.')
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'data root {data_root} does not exist.')
    source_rel = DEFAULTS[dataset]['source']
    source_path = osp.join(data_root, source_rel)
    source_ids = (set(read_split_file(source_path,
                                      image_dir=DEFAULTS[dataset]['image_dir']))
                  if osp.isfile(source_path) else None)
    out_dir = out_dir or OUT_DIR
    out_abs = osp.join(data_root, out_dir)
    os.makedirs(out_abs, exist_ok=True)
    splits = {}
    for name, entry in shipped['datasets'][dataset].items():
        path = osp.join(folder, entry['file'])
        if sha256_of(path) != entry['sha256']:
            raise RuntimeError(f'{path} does not match the SHA-256 in '
                               f'{osp.join(folder, "manifest.json")}; reinstall '
                               'mmseg_pseudoseg to restore the released list.')
        ids = read_split_file(path)
        if source_ids is not None:
            missing = [i for i in ids if i not in source_ids]
            if missing:
                raise ValueError(f'{len(missing)} id(s) of the released list '
                                 f'{entry["file"]} are not in {source_path}: '
                                 f'{format_offenders(missing)}.\nCheck that '
                                 '--data-root is the dataset the paper used.')
        rel = osp.join(out_dir, name + '.txt')
        with open(path, 'rb') as src, open(osp.join(data_root, rel), 'wb') as dst:
            dst.write(src.read())
        splits[name] = dict(entry, file=rel, origin='released',
                            upstream_repository=shipped['repository'])
        print(f'{rel}: {len(ids)} ids (released {entry["upstream_path"]})')
    manifest = {'tool': 'tools/make_splits.py --released', 'dataset': dataset,
                'source': {'repository': shipped['repository'],
                           'license': shipped['license'],
                           'checked_against': source_rel if source_ids is not None
                           else None},
                'splits': splits}
    with open(osp.join(out_abs, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    if source_ids is None:
        print(f'note: {source_path} not found, ids not checked against it',
              file=sys.stderr)
    return manifest


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('dataset', choices=sorted(DEFAULTS))
    parser.add_argument('--data-root', required=True,
                        help='VOC2012 folder, COCO root or your dataset folder')
    parser.add_argument('--released', action='store_true',
                        help="voc/coco: write the authors' published lists "
                        '(googleinterns/wss) under the names the configs read, '
                        f'in {OUT_DIR}/, instead of drawing splits')
    parser.add_argument('--source', help='list to sample from, relative to '
                        'data-root (VOC: ImageSets/Segmentation/train.txt; COCO: '
                        'ImageSets/train2017.txt)')
    parser.add_argument('--mask-dir', help='label masks, relative to data-root '
                        '(VOC: SegmentationClass; COCO: masks; folder: '
                        'labelled/masks)')
    parser.add_argument('--fractions', type=int, nargs='+', default=[],
                        help='denominators k of the fractions 1/k')
    parser.add_argument('--counts', type=int, nargs='+', default=[],
                        help='split sizes in images (files n<count>_seed<s>.txt)')
    parser.add_argument('--classes', nargs='+',
                        help='class names, background first (folder: default '
                        '<data-root>/classes.txt)')
    parser.add_argument('--image-dir', help='folder: labelled images, relative to '
                        'data-root (default labelled/images)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3])
    parser.add_argument('--min-per-class', type=int, default=1)
    parser.add_argument('--max-tries', type=int, default=100000)
    parser.add_argument('--out-dir', help='output folder, relative to data-root '
                        f'(default: {OUT_DIR} with --released, {DRAWN_DIR} for '
                        'drawn voc/coco splits, splits for folder)')
    parser.add_argument('--nproc', type=int, default=1)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.released:
        if args.fractions or args.counts:
            raise SystemExit('--released writes the published lists; drop '
                             '--fractions/--counts, or drop --released to draw '
                             'splits.')
        write_released(args.dataset, args.data_root, args.out_dir)
        return
    make_splits(args.dataset, args.data_root, args.source, args.mask_dir,
                args.fractions, args.seeds, args.min_per_class, args.max_tries,
                args.out_dir, args.nproc, args.counts, args.classes,
                args.image_dir)


if __name__ == '__main__':
    main()
