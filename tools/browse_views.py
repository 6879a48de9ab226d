"""Write what a training step sees: one picture per training sample of a config.

    python tools/browse_views.py CONFIG --out DIR [-n 8] [--zoom 2] [--seed 0]
                                 [--cfg-options k=v ...]

The train set is built from the config as mmseg's
``tools/analysis_tools/browse_dataset.py`` builds it (``train_dataloader.dataset``,
its real pipelines, random augmentation included), and ``DIR/sample_<k>.png`` shows
its k-th sample (k < N), after the transforms, before the data preprocessor (the
same ``--seed`` draws the same augmentation):

* labelled member: the labelled crop and its mask (dataset palette, 255 light grey);
* extra member: the weak view, the strong view with the CutOut box outlined (the
  part of the box that lies on the image; the rest falls into the padding the data
  preprocessor adds) and the validity map (white = counted in L_u, black = excluded:
  CutOut; the padding added later is excluded too);
* in image-level mode, the strong crop's image tags (``gt_image_labels``);
* a legend of the classes on the mask, and the image ids.

In a PseudoSeg train set (``ConcatDataset[labelled, extra]``, docs/method.md §5)
picture k holds the k-th sample of each member (taken modulo its length); a plain
(supervised) train set gives its image and mask. Panels are drawn at the crop's
pixels, enlarged ``--zoom`` times, each cell as large as the largest view.
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import numpy as np
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar

import mmseg_pseudoseg  # noqa: F401  (registers our components)
from mmseg_pseudoseg.utils import load_tool_config
from mmseg_pseudoseg.visualization import class_legend, colorize

TITLE_H = 14
LINE_H = 14
BOX_COLOUR = (255, 0, 255)  # RGB magenta: the CutOut box outline
FRAME_COLOUR = (128, 128, 128)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write one picture per training sample (views, CutOut, '
        'validity map, tags)')
    parser.add_argument('config', help='train config')
    parser.add_argument('--out', required=True, help='folder for sample_<k>.png')
    parser.add_argument('-n', type=int, default=8, help='number of samples (8)')
    parser.add_argument('--zoom', type=int, default=2,
                        help='nearest-neighbour enlargement of every panel (2)')
    parser.add_argument('--seed', type=int, default=0,
                        help='random seed of the augmentation (0)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    args = parser.parse_args(argv)
    if args.n < 1 or args.zoom < 1:
        parser.error(f'-n and --zoom must be >= 1, got {args.n} and {args.zoom}')
    return args


def members(dataset) -> list:
    """The member datasets of a ``ConcatDataset`` train set, else ``[dataset]``."""
    return list(getattr(dataset, 'datasets', [dataset]))


def views(item: dict) -> dict:
    """``{branch: (image tensor (3, H, W) BGR uint8, SegDataSample)}`` of one
    dataset item (``MultiView`` output or a plain ``PackSegInputs`` one)."""
    inputs, samples = item['inputs'], item['data_samples']
    if not isinstance(inputs, dict):
        return {'sup': (inputs, samples)}
    return {b: (inputs[b], samples[b]) for b in inputs if inputs[b] is not None}


def rgb(image) -> np.ndarray:
    return np.ascontiguousarray(image.permute(1, 2, 0).numpy()[..., ::-1])


def cutout_box(valid: np.ndarray):
    """``(y1, y2, x1, x2)`` bounding the excluded (255) pixels of a validity map
    before padding (= the CutOut box on the image), or None."""
    ys, xs = np.nonzero(valid == 255)
    if not len(ys):
        return None
    return int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1


def sample_panels(group: dict, classes, palette):
    """Panels ``[(title, RGB array)]``, text lines and the class ids shown, for the
    views of one picture (``{branch: (image, data sample)}``)."""
    panels, lines, shown = [], [], set()
    if 'sup' in group:
        image, sample = group['sup']
        mask = sample.gt_sem_seg.data[0].numpy()
        shown.update(np.unique(mask).tolist())
        panels += [('labelled crop', rgb(image)), ('its mask', colorize(mask,
                                                                          palette))]
        lines.append(f'labelled: {_name(sample)}')
    if 'weak' in group:
        image, sample = group['weak']
        panels.append(('weak view', rgb(image)))
        lines.append(f'extra: {_name(sample)}')
    if 'strong' in group:
        image, sample = group['strong']
        valid = sample.gt_sem_seg.data[0].numpy()
        strong = rgb(image).copy()
        box = cutout_box(valid)
        if box is not None:
            y1, y2, x1, x2 = box
            cv2.rectangle(strong, (x1, y1), (x2 - 1, y2 - 1), BOX_COLOUR, 1)
            lines.append(f'CutOut box on the image: rows {y1}-{y2 - 1}, '
                         f'columns {x1}-{x2 - 1}')
        else:
            lines.append('CutOut box: in the padding (none on the image)')
        panels += [('strong view', strong),
                   ('validity map', np.repeat(
                       np.where(valid == 255, 0, 255).astype(np.uint8)[..., None],
                       3, axis=2))]
        if 'gt_image_labels' in sample:
            tags = [classes[c + 1] for c in
                    np.nonzero(sample.gt_image_labels.numpy() > 0)[0].tolist()]
            lines.append('image tags: ' + (', '.join(tags) if tags else '(none)'))
    return panels, lines, shown


def _name(sample) -> str:
    meta = sample.metainfo
    name = meta.get('img_id') or osp.basename(meta.get('img_path', '?'))
    h, w = meta.get('img_shape', ('?', '?'))[:2]
    return f'{name} ({h}x{w} crop{", flipped" if meta.get("flip") else ""})'


def _text(strip: np.ndarray, text: str, x: int, y: int, width: int) -> None:
    scale = 0.4
    while scale > 0.25 and cv2.getTextSize(text, FONT, scale, 1)[0][0] > width - 4:
        scale -= 0.05
    cv2.putText(strip, text, (x + 2, y), FONT, scale, (0, 0, 0), 1, cv2.LINE_AA)


def picture(panels, lines, shown, classes, palette, zoom: int = 2) -> np.ndarray:
    """One RGB picture: titled panels side by side, text lines, class legend."""
    cell_h = max(p.shape[0] for _, p in panels) * zoom + 2
    cell_w = max(max(p.shape[1] for _, p in panels) * zoom + 2, 90)
    cells = []
    for title, panel in panels:
        cell = np.full((TITLE_H + cell_h, cell_w, 3), 255, np.uint8)
        big = np.repeat(np.repeat(panel, zoom, 0), zoom, 1)
        h, w = big.shape[:2]
        cell[TITLE_H:TITLE_H + h, :w] = big
        cell[TITLE_H + h, :w + 1] = FRAME_COLOUR  # the panel's bottom/right edge
        cell[TITLE_H:TITLE_H + h + 1, w] = FRAME_COLOUR
        _text(cell, title, 0, TITLE_H - 3, cell_w)
        cells.append(cell)
    row = np.concatenate(cells, axis=1)
    width = row.shape[1]
    notes = np.full((LINE_H * len(lines) + 4, width, 3), 255, np.uint8)
    for k, line in enumerate(lines):
        _text(notes, line, 0, LINE_H * (k + 1), width)
    legend = class_legend(classes, palette, width, shown)
    return np.concatenate([row, notes, legend], axis=0)


def browse(config: str, out_dir: str, n: int = 8, zoom: int = 2, seed: int = 0,
           cfg_options=None) -> list:
    """Write ``out_dir/sample_<k>.png`` for ``k < n``; return the paths."""
    from mmcv import imwrite
    from mmengine.runner import set_random_seed
    from mmseg.registry import DATASETS
    set_random_seed(seed)
    cfg = load_tool_config(config, cfg_options=cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    classes, palette = dataset.metainfo['classes'], dataset.metainfo['palette']
    os.makedirs(out_dir, exist_ok=True)
    paths, progress = [], ProgressBar(n)
    for k in range(n):
        group = {}
        for member in members(dataset):
            group.update(views(member[k % len(member)]))
        panels, lines, shown = sample_panels(group, classes, palette)
        path = osp.join(out_dir, f'sample_{k:03d}.png')
        imwrite(picture(panels, lines, shown, classes, palette, zoom)[..., ::-1], path)
        paths.append(path)
        progress.update()
    return paths


def main(argv=None):
    args = parse_args(argv)
    try:
        paths = browse(args.config, args.out, args.n, args.zoom, args.seed,
                       args.cfg_options)
    except FileNotFoundError as err:
        sys.exit(f'{type(err).__name__}: {err}')
    print(f'\nwrote {len(paths)} picture(s) to {args.out}')


if __name__ == '__main__':
    main()
