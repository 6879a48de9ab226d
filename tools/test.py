"""Test (and evaluate) a segmentor: mmseg's ``tools/test.py`` CLI.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out DIR]
                         [--show] [--show-dir DIR] [--cfg-options k=v ...]
                         [--launcher none|pytorch]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmseg_pseudoseg  # noqa: E402,F401  (registers our components)
from mmseg_pseudoseg.utils import (load_tool_config, parse_tool_args,  # noqa: E402
                                   run_launched)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a segmentor')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='dir for the metric json and logs')
    parser.add_argument('--out', help='dir to save predictions for offline evaluation')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='dir where painted images are saved')
    parser.add_argument('--wait-time', type=float, default=2, help='show interval (s)')
    parser.add_argument('--tta', action='store_true', help='test time augmentation')
    return parse_tool_args(parser, argv)


def build_cfg(args) -> Config:
    cfg = load_tool_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        if 'visualization' not in cfg.default_hooks:
            raise RuntimeError(
                '--show/--show-dir need a VisualizationHook in default_hooks '
                "(visualization=dict(type='SegVisualizationHook'))")
        cfg.default_hooks.visualization.draw = True
        if args.show:
            cfg.default_hooks.visualization.show = True
            cfg.default_hooks.visualization.wait_time = args.wait_time
        if args.show_dir:
            cfg.visualizer.save_dir = args.show_dir
    if args.tta:
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = build_cfg(args)
    return run_launched(args.launcher, lambda: Runner.from_cfg(cfg).test())


if __name__ == '__main__':
    main()
