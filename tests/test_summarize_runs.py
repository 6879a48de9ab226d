"""tools/summarize_runs.py on real tiny runs: two training seeds of one config.

The stock smoke config trains 4 iterations at lr 0.001 and validates after every
one, so each run logs four validations whose best is not always the last; the
summary's final and best columns are checked against those logged numbers, and the
two seeds share one row with mean ± std. Two trainings take ~35 s: slow.
"""
import csv
import glob
import json
import os
import os.path as osp
import shutil
import statistics
import subprocess
import sys

import pytest

from run_summary import find_runs, group_runs, read_run, summary_rows

SMOKE = 'configs/pseudoseg/smoke_stock_fcn_tiny_voc.py'
TOOL = 'tools/summarize_runs.py'
pytestmark = pytest.mark.slow


def train(repo_root, voc_root, work, seed):
    cmd = [sys.executable, 'tools/train.py', SMOKE, '--work-dir', work,
           '--cfg-options', f'train_dataloader.dataset.data_root={voc_root}',
           f'val_dataloader.dataset.data_root={voc_root}',
           f'test_dataloader.dataset.data_root={voc_root}',
           'train_cfg.val_interval=1', 'optim_wrapper.optimizer.lr=0.001',
           f'randomness.seed={seed}',
           'default_hooks.checkpoint.save_best=mIoU',
           'default_hooks.checkpoint.rule=greater']
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(cmd, cwd=repo_root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]


def logged_vals(work):
    """{iteration: mIoU} of every validation in the run's JSON log."""
    (path, ) = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        records = [json.loads(line) for line in f if line.strip()]
    return {r['step']: r['mIoU'] for r in records if 'mIoU' in r}


@pytest.fixture(scope='module')
def runs(repo_root, voc_root, tmp_path_factory):
    base = tmp_path_factory.mktemp('runs')
    works = [str(base / f'smoke_seed{seed}') for seed in (0, 1)]
    for seed, work in enumerate(works):
        train(repo_root, voc_root, work, seed)
    return str(base), works


def test_final_and_best_are_the_logged_numbers(runs):
    _, works = runs
    differ = 0
    for seed, work in enumerate(works):
        vals = logged_vals(work)
        assert sorted(vals) == [1, 2, 3, 4]
        run = read_run(work)
        assert (run['iterations'], run['train_seed'], run['config']) == \
            (4, seed, 'smoke_stock_fcn_tiny_voc.py')
        assert run['final_miou'] == vals[4]
        best = max(vals.values())
        assert run['best_miou'] == best
        assert run['best_iter'] == min(s for s, v in vals.items() if v == best)
        # the CheckpointHook kept the same best iteration
        assert osp.isfile(osp.join(work, f'best_mIoU_iter_{run["best_iter"]}.pth'))
        assert run['final_ece'] is None  # IoUMetric only: no ECE logged
        assert 0 < run['wall_s'] < 300
        differ += run['best_miou'] != run['final_miou']
    # validating after every iteration of a 4-iteration run, the best validation
    # is not always the last one: the summary must show both
    assert differ >= 1


def test_two_seeds_share_a_row_with_mean_and_std(runs):
    _, works = runs
    records = [read_run(w) for w in works]
    groups = group_runs(records)
    assert len(groups) == 1
    (row, ) = summary_rows(groups)
    finals = [logged_vals(w)[4] for w in works]
    bests = [max(logged_vals(w).values()) for w in works]
    assert row['final mIoU'] == \
        f'{statistics.mean(finals):.2f} ± {statistics.stdev(finals):.2f}'
    assert row['best mIoU'] == \
        f'{statistics.mean(bests):.2f} ± {statistics.stdev(bests):.2f}'
    assert (row['runs'], row['training seeds'], row['iterations'], row['final ECE']) \
        == ('2', '0,1', '4', '-')
    assert row['best at iter'] == ','.join(
        str(s) for s in sorted({r['best_iter'] for r in records}))


def test_split_seeds_share_a_row_other_settings_do_not(runs, tmp_path):
    """Copies of a run whose dumped configs read split draws 1 and 2 share a row;
    a copy with another learning rate gets its own."""
    _, works = runs
    copies = []
    for name, old, new in (('draw1', 'train.txt', 'train_seed1.txt'),
                           ('draw2', 'train.txt', 'train_seed2.txt'),
                           ('lr', 'lr=0.001', 'lr=0.002')):
        copy = str(tmp_path / name)
        shutil.copytree(works[0], copy)
        (dumped, ) = glob.glob(osp.join(copy, '*.py'))
        with open(dumped) as f:
            text = f.read()
        assert old in text, (old, dumped)
        with open(dumped, 'w') as f:
            f.write(text.replace(old, new, 1))
        copies.append(copy)
    groups = group_runs([read_run(p) for p in copies])
    assert [[r['work_dir'] for r in g] for g in groups] == [copies[:2], copies[2:]]
    rows = summary_rows(groups)
    assert [(r['runs'], r['split seeds']) for r in rows] == [('2', '1,2'), ('1', '-')]


def test_cli_prints_and_writes_csv_and_markdown(runs, repo_root, tmp_path):
    base, works = runs
    out = str(tmp_path / 'summary')
    proc = subprocess.run([sys.executable, TOOL, base, '--out', out], cwd=repo_root,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (expected, ) = summary_rows(group_runs([read_run(w) for w in works]))
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith('| config | runs | split seeds | training seeds | '
                               'final mIoU | best mIoU | best at iter |')
    assert lines[2] == '| ' + ' | '.join(expected.values()) + ' |'
    assert lines[-1] == (f'2 run(s) in 1 row(s); written to {out}.csv and '
                         f'{out}.md')
    with open(out + '.csv') as f:
        assert list(csv.DictReader(f)) == [expected]
    with open(out + '.md') as f:
        assert f.read().splitlines() == lines[:3]


def test_a_folder_without_runs_is_named(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError,
                       match=f'{tmp_path / "empty"}: no finished mmengine run'):
        find_runs([str(tmp_path / 'empty')])
