"""What the tools share: config loading, launch, progress and the closing summary."""
import argparse
import os
import os.path as osp
import sys
from typing import Callable, Dict, Optional, Sequence

import torch.distributed as dist
from mmengine.config import Config, DictAction
from mmengine.utils import track_parallel_progress, track_progress

from ..compat import init_cpu_distributed
from .config_checks import check_custom_imports


def load_tool_config(path: str, launcher: str = 'none',
                     cfg_options: Optional[dict] = None,
                     work_dir: Optional[str] = None) -> Config:
    """Load ``path`` like mmseg's tools: options merged, launcher and work_dir set.

    ``work_dir``: the CLI's, else the config's, else ``./work_dirs/<config name>``.
    Raises ``FileNotFoundError`` naming a missing config and ``ValueError`` when the
    config uses our types without ``custom_imports`` (see ``check_custom_imports``).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    check_custom_imports(cfg)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg


def run_launched(launcher: str, fn: Callable[[], object]):
    """Call ``fn`` inside the process group the launcher needs.

    On CPU-only machines the gloo group is created here and destroyed after ``fn``
    (see ``compat.init_cpu_distributed``); on CUDA the Runner does its own init.
    """
    own_group = init_cpu_distributed(launcher)
    try:
        return fn()
    finally:
        if own_group and dist.is_initialized():
            dist.destroy_process_group()


def parse_tool_args(parser: argparse.ArgumentParser, argv=None):
    """Add the options every tool shares (``--cfg-options``, ``--launcher``,
    ``--local-rank``), parse, and export ``LOCAL_RANK`` as mmseg's tools do."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def track_jobs(func: Callable, jobs: Sequence, nproc: int = 1, chunksize: int = 1,
               file=None) -> list:
    """``[func(job) for job in jobs]`` behind mmengine's progress bar (count, rate,
    elapsed, ETA) on ``file`` (default: the current ``sys.stdout``), in ``nproc``
    processes when ``nproc > 1`` (results in job order).
    """
    file = file or sys.stdout
    if nproc > 1 and len(jobs) > 1:
        return track_parallel_progress(func, list(jobs), nproc, chunksize=chunksize,
                                       file=file)
    return track_progress(func, list(jobs), file=file)


def summary_line(what: str, written: int, out: str,
                 skipped: Optional[Dict[str, int]] = None, extra: str = '') -> str:
    """The closing line of a long tool: ``'<written> <what> written to <out>'``, the
    skipped files per reason (``'skipped 0'`` when none) and ``extra``."""
    skipped = {reason: n for reason, n in (skipped or {}).items() if n}
    if skipped:
        reasons = ', '.join(f'{n} {reason}' for reason, n in skipped.items())
        skip_text = f'skipped {sum(skipped.values())} ({reasons})'
    else:
        skip_text = 'skipped 0'
    line = f'{written} {what} written to {out}; {skip_text}'
    return line + (f'; {extra}' if extra else '')
