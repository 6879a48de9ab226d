"""One picture that compares trained models on a few validation images.

Rows: validation images; columns: the image, its ground truth, then each model's
prediction (argmax of the test-time logits), painted with the dataset's palette
(ignored pixels light grey). A header row names the columns; a legend below the
grid gives the name and colour of every class the picture shows.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmseg_pseudoseg.utils import load_tool_config
from mmseg_pseudoseg.visualization import IGNORE_COLOUR, class_legend, colorize

__all__ = ['HEADER_H', 'IGNORE_COLOUR', 'comparison_picture']

HEADER_H = 18


def _load_model(config: str, checkpoint: str, cfg_options: Optional[dict]):
    from mmseg.apis import init_model
    cfg = load_tool_config(config, cfg_options=cfg_options)
    return cfg, init_model(cfg, checkpoint, device='cpu')


def _header(labels: Sequence[str], width: int) -> np.ndarray:
    header = np.full((HEADER_H, width * len(labels), 3), 255, np.uint8)
    for k, text in enumerate(labels):
        scale = 0.4
        while scale > 0.2 and cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX,
                                              scale, 1)[0][0] > width - 4:
            scale -= 0.05
        cv2.putText(header, text, (k * width + 2, HEADER_H - 5),
                    cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return header


def comparison_picture(models: Sequence[Tuple[str, str, str]], out_file: str,
                       num_images: int = 4, zoom: int = 2,
                       cfg_options: Optional[dict] = None) -> str:
    """Write the comparison PNG of ``models`` to ``out_file`` and return its path.

    Args:
        models: ``(column label, config path, checkpoint path)`` per model. The
            images, ground truth and palette come from the first config's
            ``val_dataloader.dataset``; every model predicts at its own
            ``test_cfg``.
        num_images: the first ``num_images`` validation images, one row each
            (cells one pixel larger than the largest image; each panel in the
            top-left corner of its cell, on white).
        zoom: nearest-neighbour enlargement of every panel.
        cfg_options: overrides applied to every config (``--cfg-options``).
    """
    from mmcv import imwrite
    from mmseg.registry import DATASETS
    if not models:
        raise ValueError('comparison_picture needs at least one model')
    cfg, first = _load_model(models[0][1], models[0][2], cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    palette = dataset.metainfo['palette']
    samples = [dataset[i] for i in range(min(num_images, len(dataset)))]
    shown = set()  # class ids on any label panel, for the legend
    # one panel list per row: image, ground truth, then each model's prediction
    rows = []
    for x in samples:
        gt = x['data_samples'].gt_sem_seg.data[0].numpy()
        shown.update(np.unique(gt).tolist())
        rows.append([x['inputs'].permute(1, 2, 0).numpy()[..., ::-1],  # BGR -> RGB
                     colorize(gt, palette)])
    for k, (_, config, checkpoint) in enumerate(models):
        model = first if k == 0 else _load_model(config, checkpoint, cfg_options)[1]
        for row, sample in zip(rows, samples):
            with torch.no_grad():
                (pred, ) = model.test_step(pseudo_collate([sample]))
            pred = pred.pred_sem_seg.data[0].numpy()
            shown.update(np.unique(pred).tolist())
            row.append(colorize(pred, palette))
    # cells as large as the largest image, plus a one-pixel white gap
    cell_h = max(row[0].shape[0] for row in rows) + 1
    cell_w = max(row[0].shape[1] for row in rows) + 1
    grid = np.concatenate([np.concatenate([_pad(p, cell_h, cell_w) for p in row], 1)
                           for row in rows], 0)
    grid = np.repeat(np.repeat(grid, zoom, axis=0), zoom, axis=1)
    header = _header(['image', 'ground truth'] + [m[0] for m in models],
                     cell_w * zoom)
    legend = class_legend(dataset.metainfo['classes'], palette, grid.shape[1], shown)
    imwrite(np.concatenate([header, grid, legend], axis=0)[..., ::-1], out_file)
    return out_file


def _pad(panel: np.ndarray, height: int, width: int) -> np.ndarray:
    """``panel`` (H, W, 3) in the top-left corner of a white ``height x width`` cell."""
    cell = np.full((height, width, 3), 255, np.uint8)
    cell[:panel.shape[0], :panel.shape[1]] = panel
    return cell
