"""FLOPs and parameters of a (exported or PseudoSeg) model at one input size.

    python tools/get_flops.py CONFIG [--shape 513 513] [--cfg-options k=v ...]

mmseg's ``tools/analysis_tools/get_flops.py`` is not in the mmseg pip package; this
is its computation: the test-time network (``EncoderDecoder`` in tensor mode:
backbone, neck, decode head; the auxiliary head removed, SyncBN reverted to BN) on
one ``1 x 3 x H x W`` input, counted by mmengine's ``get_model_complexity_info``.
Training-only parts of a PseudoSeg config (SGC head) are not counted: the
``forward`` of tensor mode never calls them, and the parameters are counted on the
exported model when CONFIG is one (``tools/export.py``).
"""
import argparse
import sys

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import DictAction
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope

import mmseg_pseudoseg  # noqa: F401  (registers our components)
from mmseg_pseudoseg.utils import load_tool_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='FLOPs and parameters of a model')
    parser.add_argument('config', help='config file (exported or training)')
    parser.add_argument('--shape', type=int, nargs=2, default=(513, 513),
                        metavar=('H', 'W'), help='input height and width')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def complexity(config: str, shape, cfg_options=None) -> dict:
    """``dict(flops, params)`` (counts) of the test-time network at ``shape``."""
    from mmseg.registry import MODELS
    cfg = load_tool_config(config, cfg_options=cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    cfg.model.pretrained = None
    if isinstance(cfg.model.get('backbone'), dict):
        cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    if getattr(model, 'auxiliary_head', None) is not None:
        model.auxiliary_head = None  # not run at test time (as mmseg's tool)
    for part in ('sgc_head', 'ema_teacher'):  # training-only parts of PseudoSeg
        if getattr(model, part, None) is not None:
            setattr(model, part, None)
    model = revert_sync_batchnorm(model).eval()
    inputs = torch.zeros(1, 3, *shape)
    with torch.no_grad():
        out = get_model_complexity_info(model, inputs=(inputs, ), show_table=False,
                                        show_arch=False)
    return dict(flops=out['flops'], params=out['params'])


def main(argv=None):
    args = parse_args(argv)
    try:
        result = complexity(args.config, args.shape, args.cfg_options)
    except FileNotFoundError as err:
        sys.exit(f'{type(err).__name__}: {err}')
    h, w = args.shape
    print(f'input 1x3x{h}x{w}: {result["flops"] / 1e9:.2f} GFLOPs, '
          f'{result["params"] / 1e6:.2f} M parameters')


if __name__ == '__main__':
    main()
