"""The unlabelled consistency loss L_u (docs/method.md §1)."""
import torch.nn.functional as F
from torch import Tensor


def soft_cross_entropy(logits: Tensor, target: Tensor, loss_mask: Tensor,
                       valid_mask: Tensor) -> Tensor:
    """L_u: soft-target cross-entropy averaged over the valid pixels.

        L_u = Σ_{p ∈ loss_mask} −Σ_c ỹ_c(p) log softmax(z(p))_c  /  |valid_mask|

    Args:
        logits: ``z``, ``(N, C, h, w)`` decoder logits on the strong view (with grad).
        target: ``ỹ``, ``(N, C, h, w)`` pseudo label (no grad; one-hot for hard).
        loss_mask: ``(N, h, w)`` bool, pixels that contribute (valid and, with a
            confidence threshold, confident).
        valid_mask: ``(N, h, w)`` bool, the denominator: pixels inside the image
            and outside CutOut (the threshold does not change it).

    Returns:
        Scalar; 0 (with a graph) when no pixel is valid.
    """
    log_prob = F.log_softmax(logits.float(), dim=1)
    per_pixel = -(target.detach().float() * log_prob).sum(dim=1)
    total = (per_pixel * loss_mask.to(per_pixel.dtype)).sum()
    return total / valid_mask.sum().clamp_min(1).to(total.dtype)
