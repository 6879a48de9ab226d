"""What ``tools/train.py`` and ``tools/test.py`` share: config loading and launch."""
import argparse
import os
import os.path as osp
from typing import Callable, Optional

import torch.distributed as dist
from mmengine.config import Config, DictAction

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
