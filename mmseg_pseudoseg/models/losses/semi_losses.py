"""The unlabelled losses of the baselines, on full-resolution logits.

- :func:`probability_squared_error`: Mean Teacher / CutMix-Seg's consistency
  (``cons_loss_fn='var'``, the default of the CutMix-Seg code): squared error of
  the softmax probabilities summed over classes, with the code's confidence
  handling.
- :func:`masked_hard_cross_entropy`: FixMatch / UniMatch's ``loss_u``: the cross
  entropy with the teacher's argmax, over the confident valid pixels, divided by
  the number of valid pixels.
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def probability_squared_error(student_logits: Tensor, teacher_probs: Tensor,
                              valid: Tensor, conf_thresh: float,
                              conf_per_pixel: bool = False) -> Tuple[Tensor, Tensor]:
    """Mean Teacher consistency as CutMix-Seg's code computes it.

        d(p) = Σ_c (softmax(z_s)(p)_c − q(p)_c)²
        m(p) = valid(p) · w,  w = mean_p [max_c q(p)_c ≥ τ]   (one scalar)
                              w(p) = [max_c q(p)_c ≥ τ]          (conf_per_pixel)
        loss = mean over all N·H·W pixels of d(p)·m(p)

    The scalar ``w`` is the share of confident pixels over the whole batch
    (padding included), the code's default ``conf_per_pixel=False``; ``τ = 0``
    turns the confidence weighting off (``w = 1``).

    Args:
        student_logits: ``(N, C, H, W)`` student logits (with grad).
        teacher_probs: ``(N, C, H, W)`` teacher probabilities (no grad).
        valid: ``(N, H, W)`` bool, pixels of the image (not padding).
        conf_thresh: ``τ``.

    Returns:
        ``(loss, confident share)``: the scalar loss and the share of pixels whose
        teacher confidence is ≥ ``τ`` (1 when ``τ = 0``).
    """
    student = F.softmax(student_logits.float(), dim=1)
    teacher = teacher_probs.detach().float()
    per_pixel = (student - teacher).square().sum(dim=1)
    mask = valid.to(per_pixel.dtype)
    if conf_thresh > 0:
        confident = (teacher.max(dim=1)[0] >= conf_thresh).to(per_pixel.dtype)
        share = confident.mean()
        mask = mask * (confident if conf_per_pixel else share)
    else:
        share = torch.ones((), device=per_pixel.device)
    return (per_pixel * mask).mean(), share


def masked_hard_cross_entropy(logits: Tensor, target: Tensor, keep: Tensor,
                              valid: Tensor) -> Tensor:
    """FixMatch / UniMatch ``loss_u``::

        Σ_p CE(z(p), ŷ(p)) · keep(p)  /  |valid|

    Args:
        logits: ``(N, C, H, W)`` student logits (with grad).
        target: ``(N, H, W)`` long, the teacher's argmax ``ŷ``.
        keep: ``(N, H, W)`` bool, confident (``conf ≥ τ``) and valid pixels.
        valid: ``(N, H, W)`` bool, the denominator (``ignore_mask != 255``).

    Returns:
        Scalar; 0 (with a graph) when no pixel is valid.
    """
    per_pixel = F.cross_entropy(logits.float(), target, reduction='none')
    total = (per_pixel * keep.to(per_pixel.dtype)).sum()
    return total / valid.sum().clamp_min(1).to(total.dtype)
