"""Export a PseudoSeg checkpoint as a plain mmseg model (config + weights).

    python tools/export.py CONFIG CHECKPOINT OUT_DIR [--name NAME]
                           [--onnx [--argmax] [--onnx-size H W] [--static]
                            [--opset 17]] [--cfg-options k=v ...]

Writes ``OUT_DIR/NAME.py`` (a stock ``EncoderDecoder`` config) and ``OUT_DIR/NAME.pth``
(weights without the SGC head or any teacher, ``meta`` kept); NAME defaults to the
config's name. The pair loads with mmseg alone::

    from mmseg.apis import init_model, inference_model
    model = init_model('OUT_DIR/NAME.py', 'OUT_DIR/NAME.pth', device='cpu')
    result = inference_model(model, 'image.jpg')

See :mod:`mmseg_pseudoseg.apis.export` for what the export keeps and drops.

``--onnx`` also writes ``OUT_DIR/NAME.onnx``, the exported model as an ONNX graph
(input ``image`` float32 N x 3 x H x W, RGB 0-255, normalised inside the graph;
dynamic H and W unless ``--static``; output ``logits`` N x K x H x W, plus ``labels``
N x H x W with ``--argmax``; see :mod:`mmseg_pseudoseg.apis.onnx_export`).
"""
import argparse
import os.path as osp
import sys


from mmengine.config import DictAction

import mmseg_pseudoseg  # noqa: F401  (registers our components)
from mmseg_pseudoseg.apis import (CheckpointError, export_stock_model,
                                  read_checkpoint)
from mmseg_pseudoseg.apis.onnx_export import OPSET, OnnxExportError, export_onnx
from mmseg_pseudoseg.utils import load_tool_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export a PseudoSeg checkpoint as a plain mmseg model')
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('out_dir', help='folder for NAME.py and NAME.pth')
    parser.add_argument('--name', help='output file name (default: the config name)')
    parser.add_argument('--onnx', action='store_true',
                        help='also write NAME.onnx (ONNX graph of the exported model)')
    parser.add_argument('--argmax', action='store_true',
                        help='ONNX: add the "labels" output (argmax of the logits)')
    parser.add_argument('--onnx-size', type=int, nargs=2, default=(512, 512),
                        metavar=('H', 'W'), help='ONNX: size of the traced input')
    parser.add_argument('--static', action='store_true',
                        help='ONNX: fixed input size (--onnx-size) instead of '
                        'dynamic height and width')
    parser.add_argument('--opset', type=int, default=OPSET, help='ONNX opset')
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
    if args.onnx:
        onnx_path = osp.join(args.out_dir, name + '.onnx')
        try:
            write_onnx(cfg_path, ckpt_path, onnx_path, args)
        except OnnxExportError as err:
            sys.exit(f'{type(err).__name__}: {err}')
        print(f'wrote {onnx_path}')


def write_onnx(cfg_path: str, ckpt_path: str, onnx_path: str, args) -> None:
    """The exported pair, loaded with mmseg's ``init_model``, as ONNX."""
    from mmengine.config import Config
    from mmseg.apis import init_model

    # this process has registered the package's modules; the copies that the
    # exported config imports (run elsewhere with PYTHONPATH=OUT_DIR) are not needed
    cfg = Config.fromfile(cfg_path, import_custom_modules=False)
    model = init_model(cfg, ckpt_path, device='cpu')
    export_onnx(model, onnx_path, argmax=args.argmax, sample_size=args.onnx_size,
                dynamic=not args.static, opset=args.opset,
                dataset_meta=model.dataset_meta)


if __name__ == '__main__':
    main()
