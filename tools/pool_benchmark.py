"""The cost of a large extra pool: ``tools/benchmark.py --pool N [N ...]``.

For each pool size N it writes a synthetic pool (N image files, each a hard link to
one of a few tiny JPEGs, so the files cost directory entries but no space; a list
file of their ids; 4 labelled images with masks), then measures four ways of
building the train set of ``configs/pseudoseg/smoke_pseudoseg_tiny_voc.py``
(``ConcatDataset[labelled, extra]``, its own pipelines):

- ``list``: ``SemiVOCDataset`` reading the list file, files checked
  (``check_files=True``, the default);
- ``list_unchecked``: the same with ``check_files=False`` (a list you vouch for);
- ``folder``: ``SemiFolderTrainDataset``, the extra images found by a folder scan;
- ``folder_list``: the same reading the list file (``ann_file`` + ``img_suffix``:
  no scan), files checked.

Each case runs in a fresh process (spawned), so that its peak memory is its own:

- ``build_s`` and ``build_us_per_id``: building the train set (dataset objects
  fully initialised: list read, checks, data list serialized). It includes a fixed
  cost (mmengine's ``gc.collect()`` after serializing each dataset: about a second
  with torch loaded), so the table also prints the cost per added id between
  consecutive sizes;
- ``build_peak_mb``: peak RSS (``VmHWM``) above the RSS before the build;
- ``list_mb``: the serialized data lists (mmengine ``serialize_data``: one byte
  buffer + offsets per dataset), the memory forked workers share;
- ``first_batch_s``: from the built set to the first batch of the train dataloader
  (``InfiniteSampler`` + ``SemiBatchSampler``, ``--pool-workers`` forked workers);
- ``worker_uss_mb``: the largest unique memory (``Private_*`` of
  ``/proc/<pid>/smaps_rollup``) of a dataloader worker after the first batch: what
  one worker costs on top of the memory it shares with the main process.

The page cache is warm (the pool was just written, synced and listed once): a
first run over a cold disk lists and opens more slowly.
"""
import concurrent.futures
import multiprocessing
import os
import os.path as osp
import shutil
import tempfile
import time

import numpy as np
from PIL import Image

CONFIG = 'configs/pseudoseg/smoke_pseudoseg_tiny_voc.py'
CASES = ('list', 'list_unchecked', 'folder', 'folder_list')
LINKS_PER_SOURCE = 50000  # below ext4's 65,000 hard links per file
KEYS = ('build_s', 'build_us_per_id', 'build_peak_mb', 'list_mb', 'first_batch_s',
        'worker_uss_mb')


# --- the synthetic pool ----------------------------------------------------------

def pool_id(k: int) -> str:
    return f'pool_{k:07d}'


def make_pool(root: str, n: int, size=(48, 64), n_labelled: int = 4) -> None:
    """``root``: ``classes.txt`` (3 classes), ``labelled/{images,masks}`` (4 images
    + zero masks, ``labelled.txt``), ``pool/<id>.jpg`` (``n`` hard links to tiny
    random JPEGs) and ``pool.txt`` (their ids)."""
    rng = np.random.default_rng(0)
    for sub in ('labelled/images', 'labelled/masks', 'pool', '_sources'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write('background\nthing\nstuff\n')

    def jpeg(path):
        Image.fromarray(rng.integers(0, 256, size + (3, ), dtype=np.uint8)).save(
            path, quality=80)
    labelled = [f'lab_{k:03d}' for k in range(n_labelled)]
    for img_id in labelled:
        jpeg(osp.join(root, 'labelled/images', img_id + '.jpg'))
        Image.fromarray(np.zeros(size, np.uint8)).save(
            osp.join(root, 'labelled/masks', img_id + '.png'))
    with open(osp.join(root, 'labelled.txt'), 'w') as f:
        f.write('\n'.join(labelled) + '\n')
    sources = []
    for k in range(-(-n // LINKS_PER_SOURCE)):
        sources.append(osp.join(root, '_sources', f'{k}.jpg'))
        jpeg(sources[-1])
    pool = osp.join(root, 'pool')
    for k in range(n):
        os.link(sources[k // LINKS_PER_SOURCE], osp.join(pool, pool_id(k) + '.jpg'))
    with open(osp.join(root, 'pool.txt'), 'w') as f:
        f.writelines(pool_id(k) + '\n' for k in range(n))


# --- one case, in its own process ------------------------------------------------

def _status_mb(field: str, pid='self') -> float:
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f'{field} not in /proc/{pid}/status')


def _uss_mb(pid: int) -> float:
    """Unique memory of a process: its private clean + dirty pages."""
    total = 0
    with open(f'/proc/{pid}/smaps_rollup') as f:
        for line in f:
            if line.startswith(('Private_Clean:', 'Private_Dirty:')):
                total += int(line.split()[1])
    return total / 1024.0


def _children() -> list:
    """Pids of this process's children (the dataloader workers)."""
    me, found = os.getpid(), []
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                with open(f'/proc/{name}/stat') as f:
                    if int(f.read().rsplit(')', 1)[1].split()[1]) == me:
                        found.append(int(name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _train_set_cfg(case: str, root: str, cfg, warmup: bool = False) -> dict:
    """The train set of ``case``; ``warmup``: the same over the 4 labelled images
    (built once first, so that one-time imports are not counted)."""
    labelled_cfg, extra_cfg = cfg.train_dataloader.dataset.datasets
    pipelines = dict(labelled=labelled_cfg.pipeline, extra=extra_cfg.pipeline)
    extra_dir, extra_list = ('labelled/images', 'labelled.txt') if warmup else \
        ('pool', 'pool.txt')
    if case in ('folder', 'folder_list'):
        extra = dict(img_dir=extra_dir, mask_dir=None, pipeline=pipelines['extra'])
        if case == 'folder_list':
            extra.update(ann_file=extra_list, img_suffix='.jpg')
        return dict(type='SemiFolderTrainDataset', data_root=root,
                    labelled=dict(img_dir='labelled/images', mask_dir='labelled/masks',
                                  pipeline=pipelines['labelled']),
                    extra=extra)
    common = dict(type='SemiVOCDataset', data_root=root,
                  check_files=case != 'list_unchecked')
    return dict(type='ConcatDataset', datasets=[
        dict(common, ann_file='labelled.txt', pipeline=pipelines['labelled'],
             data_prefix=dict(img_path='labelled/images',
                              seg_map_path='labelled/masks')),
        dict(common, ann_file=extra_list, with_masks=False,
             pipeline=pipelines['extra'], data_prefix=dict(img_path=extra_dir))])


def measure_case(case: str, root: str, n: int, workers: int, repo: str) -> dict:
    """Build the train set of ``case`` over the pool at ``root`` and load its
    first batch; returns the measures of the module doc (run in a fresh process)."""
    os.chdir(repo)
    import mmseg_pseudoseg  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    cfg = Config.fromfile(CONFIG)
    DATASETS.build(_train_set_cfg(case, root, cfg, warmup=True))
    dataset_cfg = _train_set_cfg(case, root, cfg)
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset VmHWM (peak RSS) to the current RSS
    base = _status_mb('VmRSS')
    start = time.perf_counter()
    train_set = DATASETS.build(dataset_cfg)
    build_s = time.perf_counter() - start
    build_peak_mb = _status_mb('VmHWM') - base
    members = train_set.datasets
    if len(members[1]) != n:
        raise RuntimeError(f'{case}: the extra set has {len(members[1])} ids, '
                           f'expected {n}')
    list_mb = sum(d.data_bytes.nbytes + d.data_address.nbytes
                  for d in members) / 2**20
    loader_cfg = dict(cfg.train_dataloader, dataset=train_set,
                      num_workers=workers, persistent_workers=False)
    if workers:  # as the configs' env_cfg.mp_start_method
        loader_cfg['multiprocessing_context'] = 'fork'
    start = time.perf_counter()
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    batch_iter = iter(loader)
    batch = next(batch_iter)
    first_batch_s = time.perf_counter() - start
    if len(batch['inputs']['weak']) != 4:
        raise RuntimeError(f'{case}: unexpected first batch {list(batch)}')
    pids = _children()
    worker_uss_mb = max((_uss_mb(p) for p in pids), default=0.0)
    del batch_iter
    return dict(case=case, n=n, build_s=build_s, build_us_per_id=build_s / n * 1e6,
                build_peak_mb=build_peak_mb, list_mb=list_mb,
                first_batch_s=first_batch_s, worker_uss_mb=worker_uss_mb,
                workers=len(pids))


# --- the mode ----------------------------------------------------------------------

def run_pool_benchmark(sizes, workers: int = 2, pool_dir=None, cases=CASES) -> list:
    """Measure every case for every pool size (module doc); print a table and
    return the rows (one dict per size and case)."""
    repo = osp.dirname(osp.dirname(osp.abspath(__file__)))
    rows = []
    context = multiprocessing.get_context('spawn')
    for n in sizes:
        root = tempfile.mkdtemp(prefix=f'pool{n}_', dir=pool_dir)
        try:
            start = time.perf_counter()
            make_pool(root, n)
            os.sync()  # written back, and listed once: every case finds the same
            os.listdir(osp.join(root, 'pool'))  # warm cache
            print(f'pool of {n:,} ids written to {root} in '
                  f'{time.perf_counter() - start:.1f} s', flush=True)
            for case in cases:
                with concurrent.futures.ProcessPoolExecutor(
                        1, mp_context=context) as pool:
                    row = pool.submit(measure_case, case, root, n, workers,
                                      repo).result()
                rows.append(row)
                print(f'  {case}: ' + ', '.join(f'{k} {row[k]:.3f}' for k in KEYS),
                      flush=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print_pool_table(rows)
    return rows


def print_pool_table(rows) -> None:
    print('\n| case | ids | build (s) | µs per id | build peak RSS (MB) | '
          'serialized list (MB) | first batch (s) | worker USS (MB) |')
    print('|---|---:|---:|---:|---:|---:|---:|---:|')
    for r in rows:
        print(f"| {r['case']} | {r['n']:,} | {r['build_s']:.2f} | "
              f"{r['build_us_per_id']:.1f} | {r['build_peak_mb']:.0f} | "
              f"{r['list_mb']:.1f} | {r['first_batch_s']:.2f} | "
              f"{r['worker_uss_mb']:.0f} |")
    # the cost that grows with the pool: between consecutive sizes of a case
    for case in dict.fromkeys(r['case'] for r in rows):
        points = sorted((r['n'], r['build_s'], r['list_mb']) for r in rows
                        if r['case'] == case)
        for (n0, t0, m0), (n1, t1, m1) in zip(points, points[1:]):
            print(f'{case}: {n0:,} -> {n1:,} ids: {(t1 - t0) / (n1 - n0) * 1e6:.1f} '
                  f'µs and {(m1 - m0) / (n1 - n0) * 2**20:.0f} bytes of serialized '
                  'list per added id')
    checked = {r['n']: r['build_s'] for r in rows if r['case'] == 'list'}
    for r in rows:
        if r['case'] == 'list_unchecked' and r['n'] in checked:
            print(f"file check of {r['n']:,} ids: "
                  f"{checked[r['n']] - r['build_s']:.2f} s")
