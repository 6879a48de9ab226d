"""Test (and evaluate) a segmentor: mmseg's ``tools/test.py`` CLI plus protocols.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out DIR]
                         [--show] [--show-dir DIR] [--interval N] [--tta]
                         [--protocol NAME]  (paper|whole|slide|centre-crop|
                                             short-side|flip|ms-flip)
                         [--cfg-options k=v ...]
                         [--launcher none|pytorch|slurm]

``--out DIR`` writes one prediction PNG per image (the IoU metric's ``output_dir``);
``--show-dir DIR`` paints every ``--interval``-th image (default: every image);
``--tta`` = ``--protocol ms-flip`` (mmseg's multi-scale + flip test).
"""
import argparse
import inspect
import os.path as osp
import sys


from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmseg_pseudoseg  # noqa: F401  (registers our components)
from mmseg_pseudoseg.apis import (EVAL_PROTOCOLS, CheckpointError,
                                  apply_eval_protocol, check_state_dict,
                                  read_checkpoint, state_dict_of)
from mmseg_pseudoseg.utils import (load_tool_config, parse_tool_args,
                                   run_launched)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a segmentor')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='dir for the metric json and logs')
    parser.add_argument('--out', help='dir to save predictions for offline evaluation')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument('--show-dir', help='dir where painted images are saved')
    parser.add_argument('--interval', type=int, default=1,
                        help='paint every N-th test image (--show/--show-dir)')
    parser.add_argument('--wait-time', type=float, default=2, help='show interval (s)')
    parser.add_argument('--tta', action='store_true',
                        help='multi-scale + flip test (= --protocol ms-flip)')
    parser.add_argument('--protocol', choices=EVAL_PROTOCOLS, default='paper',
                        help='evaluation protocol (default: the paper\'s)')
    args = parse_tool_args(parser, argv)
    if args.interval < 1:
        parser.error(f'--interval must be >= 1, got {args.interval}')
    if args.tta and args.protocol not in ('paper', 'ms-flip'):
        parser.error(f'--tta is --protocol ms-flip; drop one of --tta and '
                     f'--protocol {args.protocol}')
    return args


def _set_output_dir(cfg: Config, out: str) -> None:
    """Give ``output_dir`` to every test metric that writes predictions."""
    from mmseg.registry import METRICS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    metrics = cfg.test_evaluator
    metrics = metrics if isinstance(metrics, (list, tuple)) else [metrics]
    writers = []
    for metric in metrics:
        params = inspect.signature(METRICS.get(metric['type']).__init__).parameters
        if 'output_dir' in params:
            metric['output_dir'] = out
            writers.append(metric['type'])
    if not writers:
        raise ValueError('--out needs a test metric that writes predictions '
                         "(output_dir), e.g. dict(type='IoUMetric'); test_evaluator "
                         f'has {[m["type"] for m in metrics]}.')


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
        vis = cfg.default_hooks.visualization
        vis.draw = True
        vis.interval = args.interval
        if args.show:
            vis.show = True
            vis.wait_time = args.wait_time
        if args.show_dir:
            cfg.visualizer.save_dir = args.show_dir
    apply_eval_protocol(cfg, 'ms-flip' if args.tta else args.protocol)
    if args.out is not None:
        _set_output_dir(cfg, args.out)
    return cfg


def run_test(cfg: Config, state: dict, checkpoint: str):
    """Check the checkpoint's weights against the built model, then test."""
    runner = Runner.from_cfg(cfg)
    model = getattr(runner.model, 'module', runner.model)  # DDP / SegTTAModel
    check_state_dict(model, state, checkpoint)
    return runner.test()


def main(argv=None):
    args = parse_args(argv)
    try:
        cfg = build_cfg(args)
        state = state_dict_of(read_checkpoint(args.checkpoint))  # before any build
        return run_launched(args.launcher,
                            lambda: run_test(cfg, state, args.checkpoint))
    except (CheckpointError, FileNotFoundError) as err:
        sys.exit(f'{type(err).__name__}: {err}')


if __name__ == '__main__':
    main()
