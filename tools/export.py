"""Export a PseudoSeg checkpoint as a plain mmseg model (config + weights).

    python tools/export.py CONFIG CHECKPOINT OUT_DIR [--name NAME]
                           [--cfg-options k=v ...]

Writes ``OUT_DIR/NAME.py`` (a stock ``EncoderDecoder`` config) and ``OUT_DIR/NAME.pth``
(weights without the SGC head or any teacher, ``meta`` kept); NAME defaults to the
config's name. The pair loads with mmseg alone::

    from mmseg.apis import init_model, inference_model
    model = init_model('OUT_DIR/NAME.py', 'OUT_DIR/NAME.pth', device='cpu')
    result = inference_model(model, 'image.jpg')

See :mod:`mmseg_pseudoseg.apis.export` for what the export keeps and drops.
"""
import argparse
import os.path as osp
import sys


from mmengine.config import DictAction

import mmseg_pseudoseg  # noqa: F401  (registers our components)
from mmseg_pseudoseg.apis import (CheckpointError, export_stock_model,
                                  read_checkpoint)
from mmseg_pseudoseg.utils import load_tool_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export a PseudoSeg checkpoint as a plain mmseg model')
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('out_dir', help='folder for NAME.py and NAME.pth')
    parser.add_argument('--name', help='output file name (default: the config name)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    name = args.name or osp.splitext(osp.basename(args.config))[0]
    try:
        cfg = load_tool_config(args.config, cfg_options=args.cfg_options)
        ckpt = read_checkpoint(args.checkpoint)
        cfg_path, ckpt_path = export_stock_model(cfg, ckpt, args.out_dir, name,
                                                 source=args.checkpoint)
    except (CheckpointError, FileNotFoundError) as err:
        sys.exit(f'{type(err).__name__}: {err}')
    print(f'wrote {cfg_path}\nwrote {ckpt_path}')


if __name__ == '__main__':
    main()
