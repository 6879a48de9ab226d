"""Expected calibration error (ECE) with equal-width confidence bins.

Definition (Guo et al., "On Calibration of Modern Neural Networks", 2017), used by
the diagnostics (``CalibrationMetric``, ``PseudoLabelHook``):

    bins  B_b = {pixels i : conf_i in ((b-1)/M, b/M]},  b = 1..M   (conf 0 goes to B_1)
    conf_i = max_c p_ic            (the maximum class probability)
    correct_i = [argmax_c p_ic == y_i]
    ECE = sum_b |B_b| / n * |acc(B_b) - conf(B_b)|
        = (1/n) * sum_b |sum_{i in B_b} correct_i - sum_{i in B_b} conf_i|

Pixels whose label equals ``ignore_index`` (and pixels outside an optional
``valid`` mask) are left out of every bin and of ``n``.

The per-bin sums (:func:`calibration_bins`) are additive over images and ranks, so
a metric can keep O(bins) numbers per image instead of every pixel.
"""
import json
import os.path as osp
from typing import Dict, Optional, Union

import numpy as np
import torch

ArrayLike = Union[torch.Tensor, np.ndarray]

BIN_KEYS = ('counts', 'conf_sums', 'correct_sums')


def _as_tensor(x: ArrayLike) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(x))
    return x


def confidences_and_correct(probs: ArrayLike, labels: ArrayLike,
                            ignore_index: int = 255,
                            valid: Optional[ArrayLike] = None):
    """Per-pixel confidence and correctness of class probabilities.

    Args:
        probs: ``(N, C, ...)`` class probabilities (each pixel sums to 1).
        labels: ``(N, ...)`` integer labels; ``ignore_index`` pixels are dropped.
        ignore_index: label value to leave out.
        valid: optional ``(N, ...)`` bool mask; ``False`` pixels are dropped.

    Returns:
        ``(conf, correct)``: 1-D float64 and bool tensors over the kept pixels.
    """
    probs, labels = _as_tensor(probs), _as_tensor(labels)
    labels = labels.to(probs.device).long()
    conf, pred = probs.max(dim=1)
    keep = labels != ignore_index
    if valid is not None:
        keep &= _as_tensor(valid).to(probs.device).bool()
    return conf[keep].double(), (pred[keep] == labels[keep])


def calibration_bins(probs: ArrayLike, labels: ArrayLike, n_bins: int = 15,
                     ignore_index: int = 255,
                     valid: Optional[ArrayLike] = None) -> Dict[str, np.ndarray]:
    """Per-bin pixel counts, confidence sums and correct counts.

    Args:
        probs: ``(N, C, ...)`` class probabilities.
        labels: ``(N, ...)`` integer labels; ``ignore_index`` pixels are dropped.
        n_bins: number of equal-width bins.
        valid: optional ``(N, ...)`` bool mask; ``False`` pixels are dropped.

    Returns:
        dict of numpy arrays of shape ``(n_bins,)``: ``counts`` (int64),
        ``conf_sums`` (float64), ``correct_sums`` (int64). Bin ``b`` (0-based)
        holds confidences in ``(b/n_bins, (b+1)/n_bins]`` (0 goes to bin 0).
    """
    conf, hit = confidences_and_correct(probs, labels, ignore_index, valid)
    upper_edges = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64,
                                 device=conf.device)[1:]
    # bucketize(right=False): index i with upper[i-1] < conf <= upper[i]
    idx = torch.bucketize(conf, upper_edges).clamp_(max=n_bins - 1)
    counts = torch.bincount(idx, minlength=n_bins)
    conf_sums = torch.bincount(idx, weights=conf, minlength=n_bins)
    correct_sums = torch.bincount(idx[hit], minlength=n_bins)
    return dict(counts=counts.cpu().numpy().astype(np.int64),
                conf_sums=conf_sums.cpu().numpy().astype(np.float64),
                correct_sums=correct_sums.cpu().numpy().astype(np.int64))


def merge_bins(*bins: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Sum the outputs of :func:`calibration_bins` (images, batches or ranks)."""
    return {k: np.sum([np.asarray(b[k]) for b in bins], axis=0) for k in BIN_KEYS}


def ece_from_bins(bins: Dict[str, np.ndarray]) -> float:
    """ECE in [0, 1] from per-bin sums; ``nan`` when no pixel was counted."""
    n = float(np.sum(bins['counts']))
    if n == 0:
        return float('nan')
    gaps = np.abs(np.asarray(bins['correct_sums'], np.float64) -
                  np.asarray(bins['conf_sums'], np.float64))
    return float(gaps.sum() / n)


def reliability_table(bins: Dict[str, np.ndarray]) -> Dict[str, list]:
    """JSON-ready per-bin statistics for a reliability diagram.

    Returns a dict with ``n_bins``, ``bin_edges`` (n_bins + 1), ``counts``,
    ``conf_sums``, ``correct_sums``, ``accuracy`` and ``confidence`` per bin
    (``None`` for empty bins), ``num_pixels`` and ``ece`` (fraction in [0, 1]).
    """
    counts = np.asarray(bins['counts'], np.int64)
    n_bins = len(counts)
    with np.errstate(invalid='ignore', divide='ignore'):
        acc = np.asarray(bins['correct_sums'], np.float64) / counts
        conf = np.asarray(bins['conf_sums'], np.float64) / counts
    ece = ece_from_bins(bins)
    return dict(
        n_bins=n_bins,
        bin_edges=np.linspace(0, 1, n_bins + 1).tolist(),
        counts=counts.tolist(),
        conf_sums=np.asarray(bins['conf_sums'], np.float64).tolist(),
        correct_sums=np.asarray(bins['correct_sums'], np.int64).tolist(),
        accuracy=[None if c == 0 else float(a) for a, c in zip(acc, counts)],
        confidence=[None if c == 0 else float(v) for v, c in zip(conf, counts)],
        num_pixels=int(counts.sum()),
        ece=None if np.isnan(ece) else ece)


def expected_calibration_error(probs: ArrayLike, labels: ArrayLike,
                               n_bins: int = 15, ignore_index: int = 255,
                               valid: Optional[ArrayLike] = None) -> float:
    """ECE in [0, 1] (see module docstring); ``nan`` when no pixel is kept.
    Same inputs as :func:`calibration_bins`."""
    return ece_from_bins(calibration_bins(probs, labels, n_bins, ignore_index, valid))


def load_reliability(path: str) -> dict:
    """Read and check a ``reliability.json`` written by ``CalibrationMetric``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such reliability file')
    with open(path) as f:
        try:
            table = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{path}: not valid JSON ({err})') from None
    missing = [k for k in ('n_bins', 'bin_edges', 'counts', 'conf_sums',
                           'correct_sums') if k not in table]
    if missing:
        raise ValueError(f'{path}: missing keys {missing}; expected a file written '
                         'by CalibrationMetric')
    n = table['n_bins']
    for key in ('counts', 'conf_sums', 'correct_sums'):
        if len(table[key]) != n:
            raise ValueError(f'{path}: {key} has {len(table[key])} entries, '
                             f'n_bins is {n}')
    if len(table['bin_edges']) != n + 1:
        raise ValueError(f'{path}: bin_edges has {len(table["bin_edges"])} entries, '
                         f'expected n_bins + 1 = {n + 1}')
    table['counts'] = np.asarray(table['counts'], np.int64)
    table['conf_sums'] = np.asarray(table['conf_sums'], np.float64)
    table['correct_sums'] = np.asarray(table['correct_sums'], np.int64)
    return table
