"""README command 1 (``make demo``): PseudoSeg vs its supervised baseline on real images.

1. builds the demo dataset (``tools/make_demo_data.py``: a VOC-format set made of
   the real images bundled with scikit-image; skipped when already there);
2. trains, each in a fresh process with ``tools/train.py`` as a user would: the
   supervised baseline on the 1/16 split, PseudoSeg with the other images
   unlabelled, PseudoSeg with image-level labels on them (both PseudoSeg rows with
   the EMA-teacher and λ_u ramp-up options, which a model trained from random init
   needs: README "Demo"), and, with ``--ceiling``,
   the full-supervision ceiling (labels on every training image; without it the
   table shows the calibration record ``RECORDED_CEILING``, which keeps ``make demo``
   within its time budget). ``--parallel`` trainings (default 2) run at a time,
   longest first, sharing ``OMP_NUM_THREADS`` between them (on 2 cores two
   one-thread trainings get through ~1.5x the steps of one two-thread training).
   Each training in flight has one live line: the model, iteration / total, the
   current loss, elapsed time and ETA (the full training log goes to
   ``<work dir>_train.log``); each training validates at its last iteration, and
   the model's row is printed as soon as it is evaluated;
3. prints the table of ``tools/summarize_runs.py`` (final and best checkpoint, ECE,
   mean ± std over the split seeds run) and writes one picture,
   ``<work dir>/comparison.png``: a few val images | ground truth | each model's
   prediction (first split seed).

``--seeds 1 2 3`` runs the three 1/16 draws; ``--optional`` adds the optional rows
(PseudoSeg with the recipe's settings, without those two options, in both modes, and
with the unlabelled class threshold at 0.3); ``--only`` keeps the rows
whose label contains a given substring; ``--dry-run`` prints the commands.
``--compare`` runs the field's baselines beside PseudoSeg on the unlabelled images
(supervised, Mean Teacher, CutMix-Seg, FixMatch, UniMatch, PseudoSeg with the recipe's
settings and with the demo's options: :data:`COMPARE`), each with its authors'
defaults (docs/methods.md), and also writes ``<work dir>/compare_bars.png``.
The demo configs (``configs/pseudoseg/demo/``, ``configs/baselines/demo/``) inherit
the VOC recipes' bases.
"""
import argparse
import datetime
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, NamedTuple, Optional, Sequence

from demo_set import DATA_VERSION
from run_summary import (COLUMNS, group_runs, markdown_table, read_run, summary_rows,
                         write_summary)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

DEMO = 'configs/pseudoseg/demo'
BASELINES = 'configs/baselines/demo'
DATA_ROOT = 'data/demo_voc'
#: Training log interval of the demo runs: how often the live line moves.
LOG_INTERVAL = 20
TRAIN_ITER = re.compile(r'Iter\((train|val)\)\s*\[\s*(\d+)/(\d+)\]')
LOSS = re.compile(r'\sloss: ([-+0-9.eE]+|nan|inf)')
ETA = re.compile(r'\seta: ((\d+ days?, )?\d+:\d\d:\d\d)')


class Run(NamedTuple):
    """A row of the demo: ``group`` 'default' runs always, 'ceiling' with
    --ceiling, 'optional' with --optional; ``seeded``: trained once per labelled
    split draw; ``cost``: its relative training time (scheduling order)."""
    label: str
    config: str
    seeded: bool
    group: str
    cost: float


class Job(NamedTuple):
    """One training process of the demo."""
    cmd: List[str]
    log_path: str
    label: str
    env: dict
    on_done: Callable[[], None]


RUNS = [
    Run('supervised baseline (1/16 labelled)', f'{DEMO}/demo_supervised_1-16.py',
        True, 'default', 1.0),
    Run('PseudoSeg, extra unlabelled', f'{DEMO}/demo_pseudoseg_1-16_ema-rampup.py',
        True, 'default', 2.8),
    Run('PseudoSeg, extra image-level labels',
        f'{DEMO}/demo_pseudoseg_1-16_imglabels_ema-rampup.py', True, 'default', 3.8),
    Run('ceiling: supervised, all labelled', f'{DEMO}/demo_supervised_full.py',
        False, 'ceiling', 1.0),
    Run('PseudoSeg recipe settings (no EMA teacher, no ramp-up), extra unlabelled',
        f'{DEMO}/demo_pseudoseg_1-16.py', True, 'optional', 2.8),
    Run('PseudoSeg recipe settings (no EMA teacher, no ramp-up), extra image-level '
        'labels', f'{DEMO}/demo_pseudoseg_1-16_imglabels.py', True, 'optional', 3.8),
    Run('PseudoSeg recipe settings, extra unlabelled, class threshold 0.3',
        f'{DEMO}/demo_pseudoseg_1-16_class-threshold-0.3.py', True, 'optional', 2.8),
    Run('Mean Teacher, extra unlabelled', f'{BASELINES}/demo_mean-teacher_1-16.py',
        True, 'compare', 2.0),
    Run('CutMix-Seg, extra unlabelled', f'{BASELINES}/demo_cutmix-seg_1-16.py', True,
        'compare', 2.0),
    Run('FixMatch, extra unlabelled', f'{BASELINES}/demo_fixmatch_1-16.py', True,
        'compare', 2.4),
    Run('UniMatch, extra unlabelled', f'{BASELINES}/demo_unimatch_1-16.py', True,
        'compare', 3.6),
]
#: ``--compare``: the rows, in table order (every method on the unlabelled images;
#: PseudoSeg with the recipe's settings and with the demo's options).
COMPARE = ('supervised baseline (1/16 labelled)', 'Mean Teacher, extra unlabelled',
           'CutMix-Seg, extra unlabelled', 'FixMatch, extra unlabelled',
           'UniMatch, extra unlabelled',
           'PseudoSeg recipe settings (no EMA teacher, no ramp-up), extra unlabelled',
           'PseudoSeg, extra unlabelled')
# The task's ceiling at the demo's budget (docs/demo_calibration.md:
# demo_supervised_full.py, one thread, data version 2), printed when --ceiling does not re-train it: the task was
# calibrated once and is kept fixed, so the default run spends its time on the methods.
RECORDED_CEILING = dict(mIoU=64.66, ECE=3.74)


def select_runs(only=None, ceiling=False, optional=False, compare=False):
    """The default rows, plus the ceiling / optional rows when asked; ``only`` keeps
    the rows whose label contains one of its substrings (from every group);
    ``compare``: the rows of :data:`COMPARE` (with the ceiling if asked)."""
    if compare:
        by_label = {r.label: r for r in RUNS}
        return [by_label[label] for label in COMPARE] + \
            [r for r in RUNS if ceiling and r.group == 'ceiling']
    if only:
        return [r for r in RUNS if any(o in r.label for o in only)]
    wanted = {'default'} | ({'ceiling'} if ceiling else set()) | \
        ({'optional'} if optional else set())
    return [r for r in RUNS if r.group in wanted]


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
                        help='also run the optional rows (recipe settings without '
                        'the EMA teacher and ramp-up; class threshold 0.3)')
    parser.add_argument('--compare', action='store_true',
                        help='supervised, Mean Teacher, CutMix-Seg, FixMatch, UniMatch '
                        'and PseudoSeg (recipe settings and demo options) on the '
                        'unlabelled images, with a bar chart (compare_bars.png)')
    parser.add_argument('--parallel', type=int, default=2,
                        help='trainings run at a time; they share OMP_NUM_THREADS')
    parser.add_argument('--dry-run', action='store_true')
    return parser.parse_args(argv)


def _clock(seconds: float) -> str:
    return str(datetime.timedelta(seconds=int(round(seconds))))


class LiveLine:
    """The live line of one training run, fed the run's mmengine log lines.

    ``<label>: iter i/N, loss x, elapsed h:mm:ss, ETA h:mm:ss`` (elapsed since the
    run started; ETA as mmengine logs it, from its iteration times, else from the
    elapsed time); during validation ``validating j/M``. A :class:`LiveBoard`
    draws it.
    """

    def __init__(self, label: str):
        self.label = label
        self.start = time.time()
        self.iteration, self.total, self.loss = 0, None, None
        self.text = ''

    def feed(self, line: str) -> bool:
        """Update from one log line; True when the line changed the text."""
        match = TRAIN_ITER.search(line)
        if not match:
            return False
        phase, done, total = match.group(1), int(match.group(2)), int(match.group(3))
        elapsed = time.time() - self.start
        if phase == 'train':
            self.iteration, self.total = done, total
            loss = LOSS.search(line)
            self.loss = float(loss.group(1)) if loss else self.loss
            eta = ETA.search(line)
            eta = eta.group(1) if eta else _clock(elapsed / done * (total - done))
            self.text = (f'{self.label}: iter {done}/{total}, loss '
                         f'{self.loss if self.loss is not None else float("nan"):.4f}, '
                         f'elapsed {_clock(elapsed)}, ETA {eta}')
        else:
            self.text = (f'{self.label}: iter {self.iteration}/{self.total}, '
                         f'validating {done}/{total}, elapsed {_clock(elapsed)}')
        return True


class LiveBoard:
    """The live lines of the runs in flight, one line per run.

    On a terminal the lines stay at the bottom and are redrawn in place (ANSI
    cursor moves); other text (``print``) goes above them. On a stream that is not
    a terminal (a file, a pipe) every update is written as a line of its own.
    Thread-safe: each run feeds its line from its own reader thread.
    """

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, 'isatty', lambda: False)())
        self.lines: List[LiveLine] = []
        self.drawn = 0
        self.lock = threading.Lock()

    def add(self, line: LiveLine) -> None:
        with self.lock:
            self.lines.append(line)

    def update(self, line: LiveLine) -> None:
        with self.lock:
            if self.tty:
                self._redraw()
            else:
                self.stream.write(line.text + '\n')
            self.stream.flush()

    def finish(self, line: LiveLine) -> None:
        """Take ``line`` off the board, leaving its last text."""
        with self.lock:
            self.lines.remove(line)
            self._write_above([line.text] if self.tty and line.text else [])

    def print(self, text: str) -> None:
        with self.lock:
            self._write_above([text])

    def _write_above(self, texts: List[str]) -> None:
        if self.tty:
            self._clear()
        for text in texts:
            self.stream.write(text + '\n')
        if self.tty:
            self._redraw()
        self.stream.flush()

    def _clear(self) -> None:
        if self.drawn:
            self.stream.write(f'\x1b[{self.drawn}F\x1b[J')
        self.drawn = 0

    def _redraw(self) -> None:
        self._clear()
        width = shutil.get_terminal_size().columns - 1
        for line in self.lines:
            self.stream.write(line.text[:width] + '\x1b[K\n')
        self.drawn = len(self.lines)


def run_with_live_line(job: Job, board: LiveBoard, procs: list) -> None:
    """Run ``job.cmd`` in the repository, its output into ``job.log_path``, with one
    line on ``board``; the process is appended to ``procs``. Raise ``SystemExit``
    with the log's tail when it fails."""
    line = LiveLine(job.label)
    board.add(line)
    try:
        with open(job.log_path, 'w') as log:
            proc = subprocess.Popen(job.cmd, cwd=REPO, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True,
                                    env=dict(job.env, PYTHONUNBUFFERED='1'))
            procs.append(proc)
            for text in proc.stdout:
                log.write(text)
                if line.feed(text):
                    board.update(line)
            returncode = proc.wait()
    finally:
        board.finish(line)
    if returncode != 0:
        with open(job.log_path) as log:
            tail = log.read()[-3000:]
        raise SystemExit(f'command failed ({returncode}): {" ".join(job.cmd)}\n'
                         f'--- last lines of {job.log_path} ---\n{tail}')


def run_jobs(jobs: Sequence[Job], parallel: int, board: LiveBoard) -> None:
    """Run ``jobs`` in order, at most ``parallel`` at a time, calling each job's
    ``on_done`` after it succeeds. The first failure stops the other runs and is
    raised (``SystemExit`` with its log's tail)."""
    procs, failures = [], []

    def work(job: Job) -> None:
        if failures:
            return
        try:
            run_with_live_line(job, board, procs)
        except SystemExit as err:
            failures.append(err)
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()
            raise
        job.on_done()

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = [pool.submit(work, job) for job in jobs]
    if failures:
        raise failures[0]
    for future in futures:
        future.result()


def thread_env(parallel: int) -> dict:
    """The environment of one of ``parallel`` concurrent trainings: this process's
    ``OMP_NUM_THREADS`` (default: the CPU count) shared out, at least one each."""
    total = int(os.environ.get('OMP_NUM_THREADS') or os.cpu_count() or 1)
    return dict(os.environ, OMP_NUM_THREADS=str(max(1, total // parallel)))


def ensure_data(data_root, dry_run):
    """Build the demo set unless an up-to-date one (same ``data_version``) is there."""
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


def train_options(config, seed):
    """--cfg-options of a demo training: the 1/16 draw ``seed`` as the labelled
    split (unless ``seed`` is None) and the live line's log interval."""
    options = [f'default_hooks.logger.interval={LOG_INTERVAL}']
    if seed is not None:
        from mmengine.config import Config
        dataset = Config.fromfile(osp.join(REPO, config)).train_dataloader.dataset
        key = 'train_dataloader.dataset'
        if dataset.type == 'ConcatDataset':  # [labelled, extra]
            key += '.datasets.0'
        options.insert(
            0, f'{key}.ann_file=ImageSets/SegmentationSemi/1-16_seed{seed}.txt')
    return ['--cfg-options'] + options


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    ensure_data(osp.join(REPO, DATA_ROOT), args.dry_run)
    if args.compare and (args.only or args.optional):
        raise SystemExit('--compare runs its own rows: drop --only / --optional')
    runs = select_runs(args.only, args.ceiling, args.optional, args.compare)
    labels = {osp.basename(r.config): r.label for r in runs}
    board, env = LiveBoard(), thread_env(args.parallel)
    planned = [(run, seed) for run in runs
               for seed in (args.seeds if run.seeded else [None])]  # table order
    records = {}

    def work_dir(run: Run, seed: Optional[int]) -> str:
        name = osp.splitext(osp.basename(run.config))[0]
        return osp.join(args.work_dir,
                        name + (f'_seed{seed}' if seed is not None else ''))

    def job(run: Run, seed: Optional[int]) -> Job:
        work, title = work_dir(run, seed), run.label + (
            f', split seed {seed}' if seed is not None else '')

        def on_done() -> None:  # the model's row as soon as it is evaluated
            records[work] = read_run(work)
            row = summary_rows([[records[work]]], labels)[0]
            board.print(f'[demo]   {title}: ' +
                        ', '.join(f'{c} {row[c]}' for c in COLUMNS[4:]))
        cmd = [sys.executable, 'tools/train.py', run.config, '--work-dir', work] + \
            train_options(run.config, seed)
        return Job(cmd, work + '_train.log', f'[demo] {title}', env, on_done)

    # longest first (a stable sort keeps the table order among equals)
    jobs = [job(run, seed) for run, seed in
            sorted(planned, key=lambda p: -p[0].cost)]
    if args.dry_run:
        for each in jobs:
            print(' '.join(each.cmd))
        return []
    print(f'[demo] {len(jobs)} trainings, {args.parallel} at a time with '
          f'OMP_NUM_THREADS={env["OMP_NUM_THREADS"]} each (logs: '
          f'{args.work_dir}/<run>_train.log)', flush=True)
    run_jobs(jobs, args.parallel, board)
    rows = summary_rows(group_runs([records[work_dir(*p)] for p in planned]), labels)
    if not args.only and not any(r.group == 'ceiling' for r in runs):
        rows.append(recorded_ceiling_row())
    print('\n' + markdown_table(rows))
    written = write_summary(rows, osp.join(args.work_dir, 'demo_table'))
    first = {}  # config -> the model of its first split seed
    for run, seed in planned:
        first.setdefault(run.config, (run.label, run.config,
                                      last_checkpoint(work_dir(run, seed))))
    picture = comparison(list(first.values()), args.work_dir)
    print(f'\ntable: {written[1]}; picture: {picture}')
    if args.compare:
        from demo_bar_chart import bar_chart
        finals = [(run.label.replace(', extra unlabelled', ''),
                   [records[work_dir(r, seed)]['final_miou']
                    for r, seed in planned if r is run]) for run in runs]
        print('bar chart: ' + bar_chart(
            finals, osp.join(args.work_dir, 'compare_bars.png')))
    return rows


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def recorded_ceiling_row():
    """The table row of the recorded ceiling (``RECORDED_CEILING``)."""
    row = {c: '-' for c in COLUMNS}
    row.update({'config': 'ceiling: supervised, all labelled (calibration record; '
                          '--ceiling re-trains it)', 'runs': 'record',
                'final mIoU': f'{RECORDED_CEILING["mIoU"]:.2f}',
                'final ECE': f'{RECORDED_CEILING["ECE"]:.2f}'})
    return row


def comparison(models, work_dir, num_images=4):
    """``<work_dir>/comparison.png`` of ``models`` ((label, config, checkpoint))."""
    from demo_comparison import comparison_picture
    return comparison_picture(
        [(label, osp.join(REPO, config), ckpt) for label, config, ckpt in models],
        osp.join(work_dir, 'comparison.png'), num_images=num_images,
        cfg_options={'val_dataloader.dataset.data_root': osp.join(REPO, DATA_ROOT)})


if __name__ == '__main__':
    main()
