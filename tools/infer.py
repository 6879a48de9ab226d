"""Predict a folder of images with a trained segmentor.

    python tools/infer.py CONFIG CHECKPOINT IMAGES_DIR OUT_DIR
                          [--overlay] [--opacity 0.5] [--device cpu]

For every image under IMAGES_DIR (sub-folders included; .jpg .jpeg .png .bmp .tif
.tiff .webp) it writes, at the same relative path under OUT_DIR:

* always: ``<name>.png``, the mask: a palette PNG whose pixel values are the
  predicted class ids, coloured with the palette the checkpoint was trained with
  (``meta.dataset_meta``; the config's dataset otherwise);
* ``--overlay``: ``<name>_overlay.jpg``, the image blended with the coloured
  prediction (``--opacity``), above a legend naming the classes it shows.

A checkpoint trained on another number of classes than the config's
``decode_head.num_classes`` stops the tool with a message naming both.

The model is loaded with mmseg's ``init_model`` and run with ``inference_model``
(the config's ``test_pipeline``), one image at a time, with a progress bar. An image
that cannot be read is skipped and reported by name at the end (exit status 1); it
never stops the others.
"""
import argparse
import os
import os.path as osp
import sys


import mmcv
import numpy as np
import torch
from mmengine.utils import ProgressBar
from PIL import Image

import mmseg_pseudoseg  # noqa: F401  (registers our components)
from mmseg.apis import inference_model, init_model
from mmseg_pseudoseg.apis import (CheckpointError, check_classes, check_state_dict,
                                  model_num_classes, read_checkpoint, state_dict_of)
from mmseg_pseudoseg.datasets.image_listing import list_images
from mmseg_pseudoseg.utils import load_tool_config
from mmseg_pseudoseg.visualization import class_legend, colorize



def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Predict a folder of images')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('images_dir', help='folder of images (searched recursively)')
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument('--overlay', action='store_true',
                        help='also write <name>_overlay.jpg (image + coloured '
                        'prediction + class legend); <name>.png masks are always '
                        'written')
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='prediction opacity in the overlay, in (0, 1]')
    parser.add_argument('--device', default='cuda:0' if torch.cuda.is_available()
                        else 'cpu', help='torch device')
    args = parser.parse_args(argv)
    if not 0 < args.opacity <= 1:
        parser.error(f'--opacity must be in (0, 1], got {args.opacity}')
    return args


def image_files(images_dir: str):
    """Sorted relative paths of the folder's images (two with one name are an
    error: their predictions would share a file)."""
    if not osp.isdir(images_dir):
        raise FileNotFoundError(f'image folder not found: {images_dir}')
    return sorted(list_images(images_dir).values())


def load_model(config: str, checkpoint: str, device: str):
    """mmseg's ``init_model``, after the checkpoint is checked to be readable and
    to fit the config's model (names the file / the first mismatching keys)."""
    ckpt = read_checkpoint(checkpoint)
    state = state_dict_of(ckpt)
    cfg = load_tool_config(config)
    check_classes(ckpt, model_num_classes(cfg.model), checkpoint, config)
    model = init_model(cfg, checkpoint, device=device)
    check_state_dict(model, state, checkpoint)
    return model


def palette_image(pred: np.ndarray, palette: np.ndarray) -> Image.Image:
    """``(H, W)`` class ids -> a P-mode PNG image with ``palette`` (K, 3) RGB."""
    img = Image.fromarray(pred.astype(np.uint8), mode='P')
    flat = np.zeros((256, 3), np.uint8)
    flat[:len(palette)] = palette[:256]
    img.putpalette(flat.reshape(-1).tolist())
    return img


def overlay_image(image_bgr: np.ndarray, pred: np.ndarray, palette: np.ndarray,
                  opacity: float) -> np.ndarray:
    """Blend the coloured prediction into the BGR image (classes outside the
    palette, e.g. 255, stay uncoloured)."""
    colour = colorize(pred, palette)[..., ::-1]  # RGB palette -> BGR
    known = pred < len(palette)
    out = image_bgr.astype(np.float32)
    out[known] = (1 - opacity) * out[known] + opacity * colour[known]
    return out.round().clip(0, 255).astype(np.uint8)


def legend_below(image_bgr: np.ndarray, pred: np.ndarray, classes, palette
                 ) -> np.ndarray:
    """``image_bgr`` above a legend of the classes ``pred`` shows."""
    legend = class_legend(classes, palette, image_bgr.shape[1], np.unique(pred))
    return np.concatenate([image_bgr, legend[..., ::-1]], axis=0)


def predict_folder(model, images_dir: str, out_dir: str, overlay: bool = False,
                   opacity: float = 0.5):
    """Predict every image; return ``(written, skipped)`` where ``skipped`` lists
    ``(relative path, reason)`` of the images that could not be read."""
    files = image_files(images_dir)
    classes = model.dataset_meta['classes']
    colours = np.asarray(model.dataset_meta['palette'], dtype=np.uint8).reshape(-1, 3)
    written, skipped = 0, []
    progress = ProgressBar(len(files))
    for rel in files:
        path = osp.join(images_dir, rel)
        try:
            image = mmcv.imread(path)  # BGR, as mmseg's LoadImageFromFile
            if image is None:
                raise ValueError('not a decodable image')
        except Exception as err:  # any reader error: report, go on
            skipped.append((rel, (str(err).strip().splitlines() or ['unreadable'])[0]))
            progress.update()
            continue
        result = inference_model(model, image)
        pred = result.pred_sem_seg.data[0].cpu().numpy()
        stem = osp.join(out_dir, osp.splitext(rel)[0])
        os.makedirs(osp.dirname(stem), exist_ok=True)
        palette_image(pred, colours).save(stem + '.png')
        if overlay:
            mmcv.imwrite(legend_below(overlay_image(image, pred, colours, opacity),
                                      pred, classes, colours),
                         stem + '_overlay.jpg')
        written += 1
        progress.update()
    return written, skipped


def main(argv=None):
    args = parse_args(argv)
    try:
        model = load_model(args.config, args.checkpoint, args.device)
        written, skipped = predict_folder(model, args.images_dir, args.out_dir,
                                          args.overlay, args.opacity)
    except (CheckpointError, FileNotFoundError) as err:
        sys.exit(f'{type(err).__name__}: {err}')
    kinds = 'mask PNG + overlay' if args.overlay else 'mask PNG'
    print(f'\nwrote {written} image(s) ({kinds}) to {args.out_dir}; '
          f'skipped {len(skipped)} unreadable')
    if skipped:
        for rel, reason in skipped:
            print(f'  unreadable: {rel} ({reason})')
        sys.exit(f'{len(skipped)} unreadable image(s): ' +
                 ', '.join(rel for rel, _ in skipped))


if __name__ == '__main__':
    main()
