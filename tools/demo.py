"""README command 1 (``make demo``): train and evaluate on generated data, print mIoU.

Each run trains with ``tools/train.py`` and evaluates its final checkpoint with
``tools/test.py`` in a fresh process, exactly as a user would, then one table is
printed. ``--dry-run`` prints the commands only.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'tests'))

# (name, config) pairs trained and tested in order.
RUNS = [('stock FCN (plumbing smoke)', 'configs/pseudoseg/smoke_stock_fcn_tiny_voc.py')]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'demo'))
    parser.add_argument('--data-root', default=osp.join(REPO, 'data', 'demo_tiny_voc'))
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
    if not found:
        raise SystemExit(f'no metrics json under {test_work_dir}')
    with open(found[-1]) as f:
        return json.load(f)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    if not osp.isdir(osp.join(args.data_root, 'JPEGImages')):
        from synthetic_voc import make_voc_tree
        make_voc_tree(args.data_root, n_train=32, n_val=16, n_aug_only=0)
    roots = [f'{k}.dataset.data_root={args.data_root}'
             for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    rows = []
    for name, config in RUNS:
        work = osp.join(args.work_dir, osp.splitext(osp.basename(config))[0])
        train = [sys.executable, 'tools/train.py', config, '--work-dir', work,
                 '--cfg-options'] + roots
        if args.dry_run:
            print(' '.join(train))
            continue
        start = time.time()
        print(f'[demo] training {name} ...', flush=True)
        sh(train, osp.join(args.work_dir, osp.basename(work) + '_train.log'))
        with open(osp.join(work, 'last_checkpoint')) as f:
            ckpt = f.read().strip()
        test_dir = osp.join(work, 'test')
        sh([sys.executable, 'tools/test.py', config, ckpt, '--work-dir', test_dir,
            '--cfg-options'] + roots,
           osp.join(args.work_dir, osp.basename(work) + '_test.log'))
        metrics = last_metrics(test_dir)
        rows.append((name, metrics.get('mIoU', float('nan')), osp.relpath(ckpt, REPO),
                     time.time() - start))
    if rows:
        print('\n| model | mIoU | checkpoint | minutes |\n|---|---|---|---|')
        for name, miou, ckpt, secs in rows:
            print(f'| {name} | {miou:.2f} | {ckpt} | {secs / 60:.1f} |')


if __name__ == '__main__':
    main()
