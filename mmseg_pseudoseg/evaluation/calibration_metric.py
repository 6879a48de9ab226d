"""``CalibrationMetric``: a segmentation model's ECE, next to ``IoUMetric``.

Usage::

    val_evaluator = [dict(type='IoUMetric', iou_metrics=['mIoU']),
                     dict(type='CalibrationMetric', n_bins=15)]

It reads ``seg_logits`` (``PixelData``, ``(C, H, W)`` raw logits at the original
image size, stored by mmseg's ``EncoderDecoder.predict``) and ``gt_sem_seg`` from
each output data sample. Confidence = max softmax probability, correct = argmax ==
label, label ``ignore_index`` is left out. One-channel (sigmoid) models are read as
two classes ``[1 - p, p]``.

Each image contributes three ``(n_bins,)`` arrays (counts, confidence sums,
correct counts), never its pixels, so memory is O(bins) per image and the results
gather across ranks with ``collect_device`` like any ``BaseMetric``.

After each evaluation the per-bin statistics are written as ``reliability.json``
(see :func:`mmseg_pseudoseg.evaluation.calibration.reliability_table`) into
``output_dir``, or, when ``output_dir`` is None, into the run's log directory
(``work_dir/<timestamp>/``, where the Runner's log file is). Plot it with
``tools/plot_reliability.py``.
"""
import json
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmengine.dist import is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

from mmseg.registry import METRICS
from ..utils.arg_checks import check_int
from .calibration import calibration_bins, merge_bins, reliability_table

RELIABILITY_FILE = 'reliability.json'


@METRICS.register_module()
class CalibrationMetric(BaseMetric):
    """Expected calibration error of the predicted class probabilities.

    Args:
        n_bins (int): number of equal-width confidence bins. Defaults to 15.
        ignore_index (int): label left out. Defaults to 255.
        output_dir (str, optional): where ``reliability.json`` goes; None = the
            run's log directory (nothing is written outside a Runner).
        dump_bins (bool): write ``reliability.json``. Defaults to True.
        collect_device (str): 'cpu' or 'gpu', as in ``BaseMetric``.
        prefix (str, optional): metric-name prefix, as in ``BaseMetric``.

    Reported metrics: ``ECE`` in percent (like ``mIoU``), rounded to 2 decimals.
    """

    def __init__(self,
                 n_bins: int = 15,
                 ignore_index: int = 255,
                 output_dir: Optional[str] = None,
                 dump_bins: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, **kwargs)
        self.n_bins = check_int('CalibrationMetric', 'n_bins', n_bins, 1)
        self.ignore_index = ignore_index
        self.output_dir = output_dir
        self.dump_bins = dump_bins
        self.last_table: Optional[dict] = None

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Append the per-bin sums of each image to ``self.results``."""
        for data_sample in data_samples:
            name = data_sample.get('img_path', '<unknown image>')
            if 'gt_sem_seg' not in data_sample:
                raise KeyError(f'CalibrationMetric: data sample of {name} has no '
                               '`gt_sem_seg` (ground truth is needed for ECE).')
            logits = data_sample['seg_logits']['data']
            label = data_sample['gt_sem_seg']['data'].squeeze(0)
            logits = logits.float()
            if logits.shape[0] == 1:
                fg = logits.sigmoid()
                probs = torch.cat([1 - fg, fg], dim=0)
            else:
                probs = logits.softmax(dim=0)
            self.results.append(
                calibration_bins(probs[None], label[None].to(probs.device),
                                 n_bins=self.n_bins, ignore_index=self.ignore_index))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Sum the per-image bins, report ECE (%) and dump ``reliability.json``."""
        if not results:
            raise ValueError('CalibrationMetric: no image was processed')
        bins = merge_bins(*results)
        table = reliability_table(bins)
        table['num_images'] = len(results)
        if table['num_pixels'] == 0:
            raise ValueError('CalibrationMetric: every pixel is ignore_index '
                             f'({self.ignore_index}); ECE is undefined')
        self.last_table = table
        if self.dump_bins:
            self._dump(table)
        return {'ECE': round(table['ece'] * 100, 2)}

    def _dump(self, table: dict) -> None:
        out_dir = self.output_dir
        if out_dir is None:
            log_file = getattr(MMLogger.get_current_instance(), 'log_file', None)
            if not log_file:
                return
            out_dir = osp.dirname(log_file)
        if not is_main_process():
            return
        os.makedirs(out_dir, exist_ok=True)
        path = osp.join(out_dir, RELIABILITY_FILE)
        with open(path, 'w') as f:
            json.dump(table, f, indent=1)
        print_log(f'CalibrationMetric: ECE {table["ece"] * 100:.2f}% over '
                  f'{table["num_pixels"]} pixels; reliability bins saved to {path}',
                  logger='current')
