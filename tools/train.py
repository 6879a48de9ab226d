"""Train a segmentor (mmseg's ``tools/train.py`` CLI, plus CPU-distributed support).

    python tools/train.py CONFIG [--work-dir DIR] [--resume] [--amp]
                          [--cfg-options k=v ...] [--launcher none|pytorch|slurm]

Distributed: ``tools/dist_train.sh CONFIG GPUS`` (torchrun) or
``tools/slurm_train.sh`` (srun). On a CPU-only machine the gloo process group is
created here, before the Runner (see mmseg_pseudoseg.compat). With ``--resume`` all
ranks must resume from the same checkpoint, else all stop before loading
(``check_resume_source``; docs/training.md, "Several nodes").
"""
import argparse
import logging


from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

import mmseg_pseudoseg  # noqa: F401  (registers our components)
from mmseg_pseudoseg.utils import (check_resume_source, load_tool_config,
                                   parse_tool_args, run_launched)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--resume', action='store_true', default=False,
                        help='resume from the latest checkpoint in the work_dir')
    parser.add_argument('--amp', action='store_true', default=False,
                        help='enable automatic-mixed-precision training')
    return parse_tool_args(parser, argv)


def build_cfg(args) -> Config:
    cfg = load_tool_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    if args.amp:
        if cfg.optim_wrapper.type == 'AmpOptimWrapper':
            print_log('AMP training is already enabled in your config.',
                      logger='current', level=logging.WARNING)
        elif cfg.optim_wrapper.type != 'OptimWrapper':
            raise ValueError('--amp needs optim_wrapper.type == "OptimWrapper", got '
                             f'{cfg.optim_wrapper.type!r}')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    return cfg


def train(cfg: Config):
    runner = Runner.from_cfg(cfg)  # the process group exists from here on
    check_resume_source(cfg.resume, cfg.get('load_from'), runner.work_dir)
    return runner.train()


def main(argv=None):
    args = parse_args(argv)
    cfg = build_cfg(args)
    run_launched(args.launcher, lambda: train(cfg))


if __name__ == '__main__':
    main()
