"""Calibrated fusion of decoder and SGC predictions into a soft pseudo label.

docs/method.md §4. Pure tensor functions (:func:`sharpen`,
:func:`calibrated_fusion`) and the registered :class:`CalibratedFusion` module
that the ``PseudoSeg`` segmentor calls with the weak view's decoder logits and
(upsampled) SGC logits: logits in, pseudo label out.

All math runs in float32 (or float64 if given), whatever the input dtype: the
``'rms'`` normaliser squares logits, which overflows float16 for logits ~300.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmseg.registry import MODELS

NORMS = ('rms', 'pixel_l2', 'none')
SOURCES = ('fusion', 'decoder', 'sgc')


def check_fusion_args(gamma: Optional[float] = None,
                      temperature: Optional[float] = None,
                      norm: Optional[str] = None, prefix: str = '') -> None:
    """The one check of γ, T and the normaliser; ``prefix`` names the config
    (``'pseudo_labeler.'``) in the message."""
    if gamma is not None and not 0.0 <= gamma <= 1.0:
        raise ValueError(f'{prefix}gamma must be in [0, 1], got {gamma}')
    if temperature is not None and not temperature > 0:
        raise ValueError(f'{prefix}temperature must be > 0, got {temperature}')
    if norm is not None and norm not in NORMS:
        raise ValueError(f'{prefix}norm must be one of {NORMS}, got {norm!r}')


def _as_float(x: Tensor) -> Tensor:
    return x if x.dtype in (torch.float32, torch.float64) else x.float()


def sharpen(probs: Tensor, temperature: float) -> Tensor:
    """``Sharpen(a, T)_c = a_c^{1/T} / sum_j a_j^{1/T}`` over dim 1 (docs/method.md §4).

    Args:
        probs: ``(N, C, ...)`` non-negative scores (usually probabilities).
        temperature: ``T > 0``; ``T = 1`` only renormalises (identity for rows that
            already sum to 1), ``T < 1`` sharpens, ``T > 1`` flattens.

    Returns:
        ``(N, C, ...)`` rows summing to 1. Computed in log space
        (``softmax(log(a) / T)``), which is the same quantity but cannot underflow
        to 0/0 for small ``T``; zero entries stay zero.
    """
    probs = _as_float(probs)
    if temperature == 1.0:
        return probs / probs.sum(dim=1, keepdim=True)
    return torch.softmax(torch.log(probs) / temperature, dim=1)


def logit_norm(decoder_logits: Optional[Tensor], sgc_logits: Optional[Tensor],
               norm: str = 'rms', eps: float = 1e-8):
    """The normaliser ``Norm(p̂, m̂)`` of docs/method.md §4 (broadcastable to the logits).

    - ``'rms'`` (default, released code): one scalar for the whole batch,
      ``sqrt(mean(p̂² ∪ m̂²) + eps)`` over all elements of both tensors.
    - ``'pixel_l2'`` (paper text, per-pixel reading): ``sqrt(Σ_c p̂_c² + m̂_c² + eps)``,
      shape ``(N, 1, H, W)`` (``eps`` keeps all-zero pixels finite).
    - ``'none'``: 1 (plain average of the two softmaxes).

    A tensor given as ``None`` takes no part (used when its fusion weight is 0).
    """
    parts = [_as_float(t) for t in (decoder_logits, sgc_logits) if t is not None]
    if norm == 'none':
        return 1.0
    if norm == 'rms':
        total = sum(t.square().sum() for t in parts)
        count = sum(t.numel() for t in parts)
        return torch.sqrt(total / count + eps)
    return torch.sqrt(sum(t.square().sum(dim=1, keepdim=True) for t in parts) + eps)


def calibrated_fusion(decoder_logits: Tensor,
                      sgc_logits: Tensor,
                      gamma: float = 0.5,
                      temperature: float = 0.5,
                      norm: str = 'rms',
                      eps: float = 1e-8) -> Tensor:
    """The soft pseudo label ``ỹ`` of docs/method.md §4.

        v̂ = [p̂; m̂] / Norm(p̂, m̂)
        ỹ = Sharpen(γ·softmax(p̂/Norm) + (1−γ)·softmax(m̂/Norm), T)

    Args:
        decoder_logits: ``p̂``, ``(N, C, H, W)``.
        sgc_logits: ``m̂``, ``(N, C, H, W)``, already resized to the decoder's
            resolution.
        gamma: weight of the decoder, in [0, 1]. A source with weight 0 takes no
            part at all (not even in ``Norm``), so ``gamma=1`` ignores the SGC and
            ``gamma=0`` ignores the decoder.
        temperature: ``T`` of :func:`sharpen` (1.0 = no sharpening).
        norm: ``'rms'`` | ``'pixel_l2'`` | ``'none'``, see :func:`logit_norm`.

    Returns:
        ``(N, C, H, W)`` float32 probabilities, rows summing to 1. No gradient
        flows back (callers run it under ``torch.no_grad()``).
    """
    p = _as_float(decoder_logits) if gamma > 0 else None
    m = _as_float(sgc_logits) if gamma < 1 else None
    scale = logit_norm(p, m, norm, eps)
    fused = 0.0
    if p is not None:
        fused = fused + gamma * torch.softmax(p / scale, dim=1)
    if m is not None:
        fused = fused + (1.0 - gamma) * torch.softmax(m / scale, dim=1)
    return sharpen(fused, temperature)


@MODELS.register_module()
class CalibratedFusion(nn.Module):
    """Makes the pseudo label from the weak view's predictions (docs/method.md §4).

    Has no parameters or buffers (so a PseudoSeg checkpoint minus ``sgc_head.*``
    is a stock EncoderDecoder checkpoint).

    Args:
        gamma (float): decoder weight γ (0.5; high-data setting 0.3).
        temperature (float): sharpening temperature T (0.5; 1.0 = none).
        norm (str): ``'rms'`` (released code, default) | ``'pixel_l2'`` (paper
            text) | ``'none'`` (plain average ablation).
        source (str): ``'fusion'`` (default) | ``'decoder'`` | ``'sgc'`` (paper
            Table 5). A single source is ``Sharpen(softmax(logits), T)`` without
            normalisation, as in the released code (``use_attention=False`` /
            ``pseudo_src='att'``).
        hard (bool): one-hot argmax labels instead of soft ones. As in the released
            code, no sharpening is applied then (argmax does not change) and the
            confidence is the unsharpened probability.
        threshold (float): pixels whose confidence (max of the pseudo label; for
            ``hard`` the unsharpened max) is below it are left out of L_u; the
            L_u denominator stays all valid pixels. 0 = keep all.
        num_classes (int, optional): checked against the decode head at build time.
    """

    def __init__(self,
                 gamma: float = 0.5,
                 temperature: float = 0.5,
                 norm: str = 'rms',
                 source: str = 'fusion',
                 hard: bool = False,
                 threshold: float = 0.0,
                 num_classes: Optional[int] = None,
                 eps: float = 1e-8):
        super().__init__()
        check_fusion_args(gamma, temperature, norm, prefix='pseudo_labeler.')
        if source not in SOURCES:
            raise ValueError(
                f'pseudo_labeler.source must be one of {SOURCES}, got {source!r}')
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(
                f'pseudo_labeler.threshold must be in [0, 1], got {threshold}')
        self.gamma = float(gamma)
        self.temperature = float(temperature)
        self.norm = norm
        self.source = source
        self.hard = bool(hard)
        self.threshold = float(threshold)
        self.num_classes = num_classes
        self.eps = eps

    @property
    def needs_sgc(self) -> bool:
        """Whether the SGC logits take part in the pseudo label."""
        return self.source == 'sgc' or (self.source == 'fusion' and self.gamma < 1)

    def extra_repr(self) -> str:
        return (f'source={self.source}, gamma={self.gamma}, '
                f'temperature={self.temperature}, norm={self.norm}, '
                f'hard={self.hard}, threshold={self.threshold}')

    def _fuse(self, decoder_logits: Tensor, sgc_logits: Optional[Tensor],
              temperature: float) -> Tensor:
        if self.source == 'decoder':
            return sharpen(torch.softmax(_as_float(decoder_logits), dim=1),
                           temperature)
        if self.source == 'sgc':
            return sharpen(torch.softmax(_as_float(sgc_logits), dim=1), temperature)
        if sgc_logits is None:  # gamma == 1: the SGC takes no part
            sgc_logits = decoder_logits
        return calibrated_fusion(decoder_logits, sgc_logits, self.gamma,
                                 temperature, self.norm, self.eps)

    @torch.no_grad()
    def forward(self, decoder_logits: Tensor,
                sgc_logits: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Pseudo label of one view.

        Args:
            decoder_logits: ``(N, C, h, w)`` decoder logits (weak view).
            sgc_logits: ``(N, C, h, w)`` SGC logits resized to ``(h, w)``; may be
                None when :attr:`needs_sgc` is False (ignored then).

        Returns:
            ``(pseudo_label, confidence)``: ``(N, C, h, w)`` float32 rows summing
            to 1 (one-hot if ``hard``) and ``(N, h, w)`` its confidence (the max
            of the pseudo label; for ``hard`` the unsharpened max). Pixels with
            ``confidence < threshold`` are left out of L_u by the segmentor.
        """
        if not self.needs_sgc:
            sgc_logits = None
        if self.hard:
            probs = self._fuse(decoder_logits, sgc_logits, 1.0)
            confidence, index = probs.max(dim=1)
            return torch.zeros_like(probs).scatter_(1, index.unsqueeze(1),
                                                    1.0), confidence
        pseudo = self._fuse(decoder_logits, sgc_logits, self.temperature)
        return pseudo, pseudo.max(dim=1)[0]
