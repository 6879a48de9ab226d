"""Read finished mmengine runs and tabulate them: final and best, side by side.

A run is an mmengine work dir: ``<work_dir>/<config name>.py`` (the config the
Runner dumped), ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one JSON record
per log line: training records carry ``loss``, validation records ``mIoU`` and,
with ``CalibrationMetric``, ``ECE``; ``step`` is the iteration),
``<work_dir>/<timestamp>/<timestamp>.log`` (the text log, whose time stamps give
the wall time) and the checkpoints. A resumed run has several timestamps; later
records of an iteration replace earlier ones. Extra images skipped as unreadable
(``on_unreadable='skip'``) are listed in ``<work_dir>/<timestamp>/
unreadable_images*.json`` (``UnreadableImageHook``); a run's record names them.

Per run: the *final* mIoU / ECE (the validation at the last trained iteration), the
*best* mIoU over every validation and its iteration, the iterations trained and
the wall time. Runs whose configs differ only in the labelled split's seed
(``..._seed<s>.txt``) or the training seed (``randomness.seed``) form one row, with
mean ± standard deviation (sample std, n - 1) when there are several.
"""
import csv
import datetime
import glob
import json
import os
import os.path as osp
import re
import statistics
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

from mmseg_pseudoseg.utils import iter_config_dicts

__all__ = ['RunRecord', 'find_runs', 'read_run', 'group_runs', 'summary_rows',
           'markdown_table', 'write_summary', 'skipped_images']

SEED_IN_PATH = re.compile(r'seed\d+')
LOG_TIME = re.compile(r'^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) - ')
#: Config keys that say where or how a run was launched, not what it trains.
RUN_ONLY_KEYS = ('work_dir', 'launcher', 'resume', 'load_from', 'filename')
COLUMNS = ('config', 'runs', 'split seeds', 'training seeds', 'final mIoU',
           'best mIoU', 'best at iter', 'final ECE', 'iterations', 'wall time (min)')


class RunRecord(dict):
    """One finished run: ``work_dir``, ``config`` (name), ``iterations``,
    ``final_miou``, ``final_ece``, ``best_miou``, ``best_iter``, ``wall_s``,
    ``split_seed``, ``train_seed``, ``group_key`` (values may be ``None``) and
    ``skipped_images`` (the files skipped as unreadable, usually none)."""


def _is_run(path: str) -> bool:
    return bool(glob.glob(osp.join(path, '*', 'vis_data', '*.json')))


def find_runs(paths: Sequence[str]) -> List[str]:
    """The run dirs among ``paths``: each path itself when it is a run, else its
    sub-folders that are runs (sorted). Raises naming a path that holds none."""
    runs = []
    for path in paths:
        if not osp.isdir(path):
            raise FileNotFoundError(f'{path}: no such directory')
        if _is_run(path):
            runs.append(path)
            continue
        found = sorted(osp.join(path, d) for d in os.listdir(path)
                       if _is_run(osp.join(path, d)))
        if not found:
            raise FileNotFoundError(
                f'{path}: no finished mmengine run in it or below it (looked for '
                '<work_dir>/<timestamp>/vis_data/*.json); pass the --work-dir of a '
                'training run')
        runs.extend(found)
    return runs


def _records(work_dir: str) -> List[dict]:
    """Every JSON log record of the run, in time order (one file per timestamp)."""
    records = []
    for vis in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data'))):
        files = [osp.join(vis, 'scalars.json')]
        if not osp.isfile(files[0]):
            files = sorted(glob.glob(osp.join(vis, '*.json')))
        for path in files:
            with open(path) as f:
                for line_no, line in enumerate(f, 1):
                    if line.strip():
                        try:
                            records.append(json.loads(line))
                        except json.JSONDecodeError as exc:
                            raise ValueError(f'{path}:{line_no}: not a JSON record '
                                             f'({exc.msg})') from None
    return records


def skipped_images(work_dir: str) -> List[str]:
    """The extra images the run skipped as unreadable, in the order they were
    first met (every ``unreadable_images*.json`` of its timestamps and ranks)."""
    found: Dict[str, None] = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'unreadable_images*.json'))):
        with open(path) as f:
            for record in json.load(f)['skipped']:
                found.setdefault(record['file'])
    return list(found)


def _wall_seconds(work_dir: str) -> Optional[float]:
    """Sum over the text logs of (last time stamp - first time stamp)."""
    total, found = 0.0, False
    for path in sorted(glob.glob(osp.join(work_dir, '*', '*.log'))):
        stamps = []
        with open(path, errors='replace') as f:
            for line in f:
                match = LOG_TIME.match(line)
                if match:
                    stamps.append(match.group(1))
        if stamps:
            found = True
            first, last = (datetime.datetime.strptime(s, '%Y/%m/%d %H:%M:%S')
                           for s in (stamps[0], stamps[-1]))
            total += (last - first).total_seconds()
    return total if found else None


def _config(work_dir: str) -> Config:
    dumped = sorted(glob.glob(osp.join(work_dir, '*.py')))
    if not dumped:
        dumped = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'config.py')))
    if not dumped:
        raise FileNotFoundError(f'{work_dir}: no config dumped by the Runner '
                                '(<work_dir>/<config name>.py); is it a training run?')
    return Config.fromfile(dumped[0], import_custom_modules=False)


def _normalised(cfg: dict) -> dict:
    """``cfg`` (a plain dict, changed in place) with run-only keys dropped and the
    seeds in paths masked."""
    for node in iter_config_dicts(cfg):
        for key in [k for k in node if k in RUN_ONLY_KEYS]:
            node.pop(key)
        for key, value in node.items():
            if isinstance(value, str):
                node[key] = SEED_IN_PATH.sub('seed*', value)
    return cfg


def _split_seed(cfg: dict) -> Optional[int]:
    """The seed of the labelled split file (the first ``ann_file`` of the train
    dataset, which is the labelled one in our configs)."""
    dataset = cfg.get('train_dataloader', {}).get('dataset', {})
    for node in [dataset] + list(dataset.get('datasets', [])):
        match = re.search(r'seed(\d+)', str(node.get('ann_file', '')))
        if match:
            return int(match.group(1))
    return None


def read_run(work_dir: str) -> RunRecord:
    """Read one finished run (see the module docstring)."""
    cfg = _config(work_dir)
    plain = cfg.to_dict()
    by_step: Dict[int, dict] = {}
    last_train = 0
    for record in _records(work_dir):
        step = int(record.get('step', record.get('iter', 0)))
        if 'mIoU' in record:
            by_step[step] = record
        elif 'loss' in record:
            last_train = max(last_train, step)
    if not by_step:
        raise ValueError(f'{work_dir}: the logs hold no validation (no mIoU record); '
                         'set train_cfg.val_interval so the run validates at its '
                         'last iteration')
    iterations = max(last_train, max(by_step))
    final = by_step.get(iterations)
    best_iter = max(by_step, key=lambda s: (by_step[s]['mIoU'], -s))
    split_seed = _split_seed(plain)
    train_seed = (plain.get('randomness') or {}).pop('seed', None)
    return RunRecord(
        work_dir=work_dir, config=osp.basename(cfg.filename), iterations=iterations,
        final_miou=final['mIoU'] if final else None,
        final_ece=final.get('ECE') if final else None,
        best_miou=by_step[best_iter]['mIoU'], best_iter=best_iter,
        wall_s=_wall_seconds(work_dir), split_seed=split_seed, train_seed=train_seed,
        skipped_images=skipped_images(work_dir),
        group_key=json.dumps(_normalised(plain), sort_keys=True, default=str))


def group_runs(runs: Sequence[RunRecord]) -> List[List[RunRecord]]:
    """Runs whose configs differ only in split or training seed, first-seen order."""
    groups: Dict[str, List[RunRecord]] = {}
    for run in runs:
        groups.setdefault(run['group_key'], []).append(run)
    return list(groups.values())


def _mean_std(values: Sequence[Optional[float]], digits: int = 2) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return '-'
    if len(values) == 1:
        return f'{values[0]:.{digits}f}'
    return (f'{statistics.mean(values):.{digits}f} ± '
            f'{statistics.stdev(values):.{digits}f}')


def _distinct(values) -> str:
    values = sorted({v for v in values if v is not None})
    return ','.join(str(v) for v in values) or '-'


def summary_rows(groups: Sequence[Sequence[RunRecord]],
                 labels: Optional[Dict[str, str]] = None) -> List[Dict[str, str]]:
    """One row (``COLUMNS`` -> text) per group. ``labels`` renames a config."""
    rows = []
    for runs in groups:
        name = runs[0]['config']
        wall = [r['wall_s'] / 60 if r['wall_s'] is not None else None for r in runs]
        rows.append({
            'config': (labels or {}).get(name, name),
            'runs': str(len(runs)),
            'split seeds': _distinct(r['split_seed'] for r in runs),
            'training seeds': _distinct(r['train_seed'] for r in runs),
            'final mIoU': _mean_std([r['final_miou'] for r in runs]),
            'best mIoU': _mean_std([r['best_miou'] for r in runs]),
            'best at iter': _distinct(r['best_iter'] for r in runs),
            'final ECE': _mean_std([r['final_ece'] for r in runs]),
            'iterations': _distinct(r['iterations'] for r in runs),
            'wall time (min)': _mean_std(wall, 1),
        })
    return rows


def markdown_table(rows: Sequence[Dict[str, str]]) -> str:
    lines = ['| ' + ' | '.join(COLUMNS) + ' |', '|' + '---|' * len(COLUMNS)]
    lines += ['| ' + ' | '.join(row[c] for c in COLUMNS) + ' |' for row in rows]
    return '\n'.join(lines)


def write_summary(rows: Sequence[Dict[str, str]], prefix: str) -> List[str]:
    """Write ``<prefix>.csv`` and ``<prefix>.md``; return their paths."""
    folder = osp.dirname(osp.abspath(prefix))
    os.makedirs(folder, exist_ok=True)
    with open(prefix + '.csv', 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    with open(prefix + '.md', 'w') as f:
        f.write(markdown_table(rows) + '\n')
    return [prefix + '.csv', prefix + '.md']
