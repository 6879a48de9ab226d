"""README command 1 (``make demo``): PseudoSeg vs its supervised baseline on real images.

1. builds the demo dataset (``tools/make_demo_data.py``: a VOC-format set made of
   the real images bundled with scikit-image; skipped when already there);
2. trains, each in a fresh process with ``tools/train.py`` as a user would: the
   supervised baseline on the 1/16 split, PseudoSeg with the other images
   unlabelled, PseudoSeg with image-level labels on them, and, with ``--ceiling``,
   the full-supervision ceiling (labels on every training image; without it the
   table shows the calibration record ``RECORDED_CEILING``, which keeps ``make demo``
   within its time budget);
3. evaluates every final checkpoint with ``tools/test.py`` and prints one table
   (mIoU and ECE, mean ± std over the split seeds run).

``--seeds 1 2 3`` runs the three 1/16 draws; ``--optional`` adds the optional row
(PseudoSeg with the EMA teacher and λ_u ramp-up options); ``--only`` keeps the rows
whose label contains a given substring; ``--dry-run`` prints the commands.
The demo configs (``configs/pseudoseg/demo/``) inherit the VOC recipe's bases.
"""
import argparse
import glob
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = 'configs/pseudoseg/demo'
DATA_ROOT = 'data/demo_voc'

# (label, config, uses the labelled split seed, group): 'default' rows run always,
# 'ceiling' with --ceiling, 'optional' with --optional
RUNS = [
    ('supervised baseline (1/16 labelled)', f'{DEMO}/demo_supervised_1-16.py', True,
     'default'),
    ('PseudoSeg, extra unlabelled', f'{DEMO}/demo_pseudoseg_1-16.py', True, 'default'),
    ('PseudoSeg, extra image-level labels', f'{DEMO}/demo_pseudoseg_1-16_imglabels.py',
     True, 'default'),
    ('ceiling: supervised, all labelled', f'{DEMO}/demo_supervised_full.py', False,
     'ceiling'),
    ('PseudoSeg, extra unlabelled, EMA teacher + λ_u ramp-up',
     f'{DEMO}/demo_pseudoseg_1-16_scratch_options.py', True, 'optional'),
]
# The task's calibrated ceiling (docs/demo_calibration.md: demo_supervised_full.py,
# `make demo` settings), printed when --ceiling does not re-train it: the task was
# calibrated once and is kept fixed, so the default run spends its time on the methods.
RECORDED_CEILING = dict(mIoU=70.20, ECE=2.09)


def select_runs(only=None, ceiling=False, optional=False):
    """The default rows, plus the ceiling / optional rows when asked; ``only`` keeps
    the rows whose label contains one of its substrings (from every group)."""
    if only:
        return [r for r in RUNS if any(o in r[0] for o in only)]
    wanted = {'default'} | ({'ceiling'} if ceiling else set()) | \
        ({'optional'} if optional else set())
    return [r for r in RUNS if r[3] in wanted]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'demo'))
    parser.add_argument('--seeds', type=int, nargs='+', default=[1],
                        help='labelled-split draws (1/16_seed<s>) to run')
    parser.add_argument('--only', nargs='+', help='substrings of run labels to keep')
    parser.add_argument('--ceiling', action='store_true',
                        help='re-train the ceiling (labels on all images) instead of '
                        'printing the calibration record')
    parser.add_argument('--optional', action='store_true',
                        help='also run the optional rows (EMA teacher + ramp-up)')
    parser.add_argument('--dry-run', action='store_true')
    return parser.parse_args(argv)


def sh(cmd, log_path):
    with open(log_path, 'w') as log:
        proc = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        with open(log_path) as log:
            tail = log.read()[-3000:]
        raise SystemExit(f'command failed ({proc.returncode}): {" ".join(cmd)}\n'
                         f'--- last lines of {log_path} ---\n{tail}')


def last_metrics(test_work_dir):
    found = sorted(glob.glob(osp.join(test_work_dir, '*', '*.json')))
    found = [f for f in found if not f.endswith('reliability.json')]
    if not found:
        raise SystemExit(f'no metrics json under {test_work_dir}')
    with open(found[-1]) as f:
        return json.load(f)


def ensure_data(data_root, dry_run):
    """Build the demo set unless an up-to-date one (same ``data_version``) is there."""
    sys.path.insert(0, osp.join(REPO, 'tools'))
    from make_demo_data import DATA_VERSION
    meta_path = osp.join(data_root, 'demo_meta.json')
    if osp.isfile(meta_path):
        with open(meta_path) as f:
            if json.load(f).get('data_version') == DATA_VERSION:
                return
        print(f'[demo] {data_root} was built by another generator version; rebuilding')
    cmd = [sys.executable, 'tools/make_demo_data.py', data_root]
    print('[demo] building the demo dataset:', ' '.join(cmd), flush=True)
    if not dry_run:
        subprocess.run(cmd, cwd=REPO, check=True)


def split_options(config, seed):
    """--cfg-options selecting the 1/16 draw ``seed`` as the labelled split."""
    from mmengine.config import Config
    dataset = Config.fromfile(osp.join(REPO, config)).train_dataloader.dataset
    key = 'train_dataloader.dataset'
    if dataset.type == 'ConcatDataset':  # [labelled, extra]
        key += '.datasets.0'
    return ['--cfg-options',
            f'{key}.ann_file=ImageSets/SegmentationSemi/1-16_seed{seed}.txt']


def mean_std(values):
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    ensure_data(osp.join(REPO, DATA_ROOT), args.dry_run)
    runs = select_runs(args.only, args.ceiling, args.optional)
    rows = []
    for label, config, seeded, _ in runs:
        results = []
        for seed in (args.seeds if seeded else [None]):
            name = osp.splitext(osp.basename(config))[0]
            name += f'_seed{seed}' if seed is not None else ''
            work = osp.join(args.work_dir, name)
            opts = split_options(config, seed) if seed is not None else []
            train = [sys.executable, 'tools/train.py', config, '--work-dir', work] + opts
            if args.dry_run:
                print(' '.join(train))
                continue
            start = time.time()
            print(f'[demo] training {label}' + (f', split seed {seed}' if seed else '') +
                  f' (log: {work}_train.log) ...', flush=True)
            sh(train, work + '_train.log')
            with open(osp.join(work, 'last_checkpoint')) as f:
                ckpt = f.read().strip()
            test_dir = osp.join(work, 'test')
            sh([sys.executable, 'tools/test.py', config, ckpt, '--work-dir', test_dir] +
               opts, work + '_test.log')
            metrics = last_metrics(test_dir)
            minutes = (time.time() - start) / 60
            ece = metrics.get('ECE', float('nan'))
            print(f'[demo]   mIoU {metrics["mIoU"]:.2f}, ECE {ece:.2f}, '
                  f'{minutes:.1f} min', flush=True)
            results.append((metrics['mIoU'], ece, osp.relpath(ckpt, REPO), minutes))
        if results:
            rows.append((label, results))
    if rows:
        print_table(rows, with_record=not args.only and
                    not any(r[3] == 'ceiling' for r in runs))
    return rows


def print_table(rows, with_record):
    """``rows``: (label, [(mIoU, ECE, checkpoint, minutes) per seed]); with
    ``with_record`` the recorded ceiling is the last row."""
    print('\n| model | mIoU (final checkpoint) | ECE | runs | checkpoint | minutes |')
    print('|---|---|---|---|---|---|')
    for label, results in rows:
        print(f'| {label} | {mean_std([r[0] for r in results])} | '
              f'{mean_std([r[1] for r in results])} | {len(results)} | '
              f'{results[0][2]} | {sum(r[3] for r in results):.1f} |')
    if with_record:
        print(f'| ceiling: supervised, all labelled (calibration record; --ceiling '
              f're-trains it) | {RECORDED_CEILING["mIoU"]:.2f} | '
              f'{RECORDED_CEILING["ECE"]:.2f} | record | docs/demo_calibration.md | - |')


if __name__ == '__main__':
    main()
