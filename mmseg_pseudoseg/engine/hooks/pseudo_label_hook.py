"""``PseudoLabelHook``: pseudo-label diagnostics (it only observes).

Every ``interval`` training iterations it asks the segmentor (any
``SemiBaseSegmentor``) to record the step's
pseudo labels (``model.record_pseudo_labels(True)`` before the step, then
``model.recorded_pseudo_labels()``: raw tensors, see docs/batch_format.md), computes
the probabilities and statistics from them and

- logs through ``runner.message_hub`` (shown by the LoggerHook, written to every
  visualizer backend by it), in percent, names without ``loss``::

      train/pseudo_label/conf_{fused,decoder,sgc}  mean max-probability (valid px)
      train/pseudo_label/acc_{fused,decoder,sgc}   pixel accuracy vs ground truth
      train/pseudo_label/ece_{fused,decoder,sgc}   ECE, ``n_bins`` bins
      train/pseudo_label/acc_strong               strong-view prediction accuracy

  (``*_sgc`` only where the model has an SGC head; ``acc_*``/``ece_*`` only
  when the extra images carry ground truth: the weak
  sample's ``gt_sem_seg``, resized nearest to the logit grid; label 255 and invalid
  pixels — padding, CutOut — are left out), and one ``runner.logger`` line with the
  class histogram of the fused label;
- writes ``work_dir/pseudo_labels/iter_XXXXXX/<k>_<image>.png`` panels (image, weak
  decoder argmax, SGC argmax, fused pseudo label, strong prediction, ground truth)
  and ``stats.json``, and sends each panel to ``runner.visualizer.add_image`` (the
  configured backends: local files, TensorBoard when installed).

On other iterations it does nothing. λ_u ramp-up, the EMA teacher and the class-count
check are hooks of their own (``UnsupWeightRampUpHook``, ``EMATeacherHook``,
``ClassCountCheckHook``).

Statistics are those of the rank that computes them (rank 0 is the one logged);
panels are written by rank 0 only.
"""
import json
import os
import os.path as osp
from typing import List, Optional

import cv2
import mmcv
import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmseg.registry import HOOKS
from ...utils.arg_checks import check_int
from ...visualization.palette import colorize, default_palette
from .pseudo_label_panel import (compose_panel, missing_tile, resize_nearest,
                                 tile_scale)
from .pseudo_label_stats import format_histogram, pseudo_label_stats

SCALAR_PREFIX = 'train/pseudo_label/'


@HOOKS.register_module()
class PseudoLabelHook(Hook):
    """Pseudo-label accuracy/ECE/confidence/histogram and panels.

    Args:
        interval (int): log every ``interval`` iterations (iterations
            ``interval, 2*interval, ...``); ``0`` turns diagnostics off (ramp-up
            only). Defaults to 50.
        n_bins (int): ECE bins. Defaults to 15.
        ignore_index (int): ground-truth label left out. Defaults to 255.
        num_panels (int): panels saved per logging iteration (first samples of
            the batch); ``0`` saves none. Defaults to 2.
        panel_min_size (int): tiles are upscaled (nearest, integer factor) to at
            least this height. Defaults to 128.
        out_dir (str, optional): panel folder; default ``work_dir/pseudo_labels``.
    """
    priority = 'NORMAL'

    def __init__(self,
                 interval: int = 50,
                 n_bins: int = 15,
                 ignore_index: int = 255,
                 num_panels: int = 2,
                 panel_min_size: int = 128,
                 out_dir: Optional[str] = None) -> None:
        self.interval = check_int('PseudoLabelHook', 'interval', interval, 0)
        self.n_bins = check_int('PseudoLabelHook', 'n_bins', n_bins, 1)
        self.ignore_index = ignore_index
        self.num_panels = num_panels
        self.panel_min_size = panel_min_size
        self.out_dir = out_dir
        self._warned_empty = False

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _is_log_iter(self, runner) -> bool:
        return self.interval > 0 and self.every_n_train_iters(runner, self.interval)

    # -------------------------------------------------------------------- hooks
    def before_train(self, runner) -> None:
        model = self._model(runner)
        if not hasattr(model, 'record_pseudo_labels'):
            raise TypeError(
                f'PseudoLabelHook needs a semi-supervised segmentor '
                f'(SemiBaseSegmentor); '
                f'{type(model).__name__} has no `record_pseudo_labels` method')
        if self.out_dir is None:
            self.out_dir = osp.join(runner.work_dir, 'pseudo_labels')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._model(runner).record_pseudo_labels(self._is_log_iter(runner))

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if not self._is_log_iter(runner):
            return
        model = self._model(runner)
        stash = model.recorded_pseudo_labels()
        model.record_pseudo_labels(False)
        if stash is None:
            if not self._warned_empty:
                runner.logger.warning(
                    f'PseudoLabelHook: iteration {runner.iter + 1} kept no pseudo '
                    'labels (no extra images in the batch?); nothing logged.')
                self._warned_empty = True
            return
        self.log_stash(runner, stash, data_batch)

    # ------------------------------------------------------------- the logging
    def _dataset_meta(self, runner) -> dict:
        meta = getattr(runner.visualizer, 'dataset_meta', None) or \
            getattr(self._model(runner), 'dataset_meta', None) or {}
        return dict(meta)

    def log_stash(self, runner, stash: dict, data_batch=None) -> dict:
        """Log statistics and save panels of one stash; returns the statistics."""
        step = runner.iter + 1
        meta = self._dataset_meta(runner)
        classes = list(meta.get('classes') or [])
        stats = pseudo_label_stats(stash, len(classes) or None, self.n_bins,
                                   self.ignore_index)
        for name, value in stats['scalars'].items():
            runner.message_hub.update_scalar(SCALAR_PREFIX + name, value)
        runner.logger.info(
            f'Iter {step}: pseudo labels, classes of the fused label (% of '
            f'{stats["valid_pixels"]} valid pixels): '
            f'{format_histogram(stats["histogram"], classes)}')
        if not is_main_process():
            return stats
        iter_dir = osp.join(self.out_dir, f'iter_{step:06d}')
        os.makedirs(iter_dir, exist_ok=True)
        record = dict(iter=step, scalars=stats['scalars'],
                      valid_pixels=stats['valid_pixels'],
                      gt_pixels=stats['gt_pixels'],
                      histogram={(classes[i] if i < len(classes) else str(i)):
                                 round(float(v), 4)
                                 for i, v in enumerate(stats['histogram'])})
        with open(osp.join(iter_dir, 'stats.json'), 'w') as f:
            json.dump(record, f, indent=1)
        n_panels = min(self.num_panels, stash['pseudo_label'].shape[0])
        if n_panels > 0:
            palette = meta.get('palette') or default_palette(
                max(len(classes), stash['pseudo_label'].shape[1]))
            images = self._weak_images(data_batch, stash['weak_samples'])
            for k in range(n_panels):
                panel = self.make_panel(stash, k, images[k], palette)
                sample = stash['weak_samples'][k]
                name = osp.splitext(osp.basename(sample.metainfo.get(
                    'img_path', f'sample{k}')))[0]
                cv2.imwrite(osp.join(iter_dir, f'{k}_{name}.png'), panel[..., ::-1])
                runner.visualizer.add_image(f'pseudo_label_{k}', panel, step=step)
        return stats

    # ------------------------------------------------------------------ panels
    @staticmethod
    def _raw_weak_inputs(data_batch) -> Optional[List[torch.Tensor]]:
        """The weak branch's uint8 ``(3, h, w)`` images from the collated batch."""
        if not isinstance(data_batch, dict):
            return None
        inputs = data_batch.get('inputs')
        if isinstance(inputs, dict):
            weak = inputs.get('weak')
        elif isinstance(inputs, (list, tuple)) and inputs and \
                isinstance(inputs[0], dict):
            weak = [x.get('weak') for x in inputs]
        else:
            return None
        if weak is None:
            return None
        if isinstance(weak, torch.Tensor):
            weak = list(weak)
        return [x for x in weak if x is not None]

    def _weak_images(self, data_batch, weak_samples) -> List[Optional[np.ndarray]]:
        """RGB uint8 images on the padded input grid (``pad_shape``), one per
        weak sample: the weak view from ``data_batch`` placed at its padding
        offset, else the file at ``img_path`` resized (its crop may differ)."""
        raw = self._raw_weak_inputs(data_batch)
        if raw is not None and len(raw) != len(weak_samples):
            raw = None
        images = []
        for k, sample in enumerate(weak_samples):
            meta = sample.metainfo
            pad_h, pad_w = (meta.get('pad_shape') or meta.get('img_shape'))[:2]
            canvas = np.zeros((pad_h, pad_w, 3), np.uint8)
            if raw is not None:
                img = raw[k].detach().cpu().numpy()
                img = np.clip(img, 0, 255).astype(np.uint8).transpose(1, 2, 0)
                left, _, top, _ = meta.get('padding_size', [0, 0, 0, 0])
                h = min(img.shape[0], pad_h - top)
                w = min(img.shape[1], pad_w - left)
                canvas[top:top + h, left:left + w] = img[:h, :w, ::-1]
            elif meta.get('img_path') and osp.isfile(meta['img_path']):
                img = mmcv.imread(meta['img_path'], channel_order='rgb')
                canvas = cv2.resize(img, (pad_w, pad_h))
            else:
                canvas = None
            images.append(canvas)
        return images

    def make_panel(self, stash: dict, k: int, image: Optional[np.ndarray],
                   palette) -> np.ndarray:
        """Panel of sample ``k`` (see ``pseudo_label_panel.PANEL_TITLES``)."""
        sample = stash['weak_samples'][k]
        valid = stash['valid_mask'][k].bool().cpu().numpy()
        labels = [None if stash.get(key) is None else  # no SGC: no sgc_logits
                  stash[key][k].argmax(dim=0).cpu().numpy().astype(np.uint8)
                  for key in ('decoder_logits', 'sgc_logits', 'pseudo_label',
                              'strong_logits')]
        labels[2] = np.where(valid, labels[2], self.ignore_index).astype(np.uint8)
        if image is not None:
            height, width = image.shape[:2]
        else:
            meta = sample.metainfo
            height, width = (meta.get('pad_shape') or meta.get('img_shape') or
                             labels[0].shape)[:2]
        scale = tile_scale(height, self.panel_min_size)
        size = (height * scale, width * scale)
        tiles = [resize_nearest(image, *size) if image is not None else
                 missing_tile(*size)]
        tiles += [missing_tile(*size) if lab is None else
                  resize_nearest(colorize(lab, palette, self.ignore_index), *size)
                  for lab in labels]
        if 'gt_sem_seg' in sample:
            gt = sample.gt_sem_seg.data[0].cpu().numpy().astype(np.uint8)
            tiles.append(resize_nearest(colorize(gt, palette, self.ignore_index),
                                        *size))
        else:
            tiles.append(missing_tile(*size))
        return compose_panel(tiles)
