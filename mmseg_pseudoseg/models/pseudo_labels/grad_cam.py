"""Closed-form Grad-CAM for a GAP → 1×1 conv classifier (docs/method.md §2)."""
import torch
from torch import Tensor


@torch.no_grad()
def grad_cam(features: Tensor, classifier_weight: Tensor,
             image_labels: Tensor, eps: float = 0.0) -> Tensor:
    """Grad-CAM of a global-average-pooling → 1×1 conv classifier, in closed form.

    For ``y_c = Σ_k w[c,k] · mean_ij A_k[i,j] + b_c`` the gradient
    ``∂y_c/∂A_k[i,j] = w[c,k]/(h·w)`` is spatially constant, so the Grad-CAM
    ``ReLU(Σ_k mean_ij(∂y_c/∂A_k) · A_k)`` is ``ReLU(Σ_k w[c,k] A_k) / (h·w)``;
    the ``1/(h·w)`` factor cancels in the per-class max normalisation. No
    backward pass is needed and nothing here is part of the autograd graph.

    Args:
        features: ``A``, ``(N, K, h, w)`` features of the stage that feeds the
            classifier's pooling.
        classifier_weight: ``(C-1, K)`` or the 1×1 conv weight ``(C-1, K, 1, 1)``.
        image_labels: ``(N, C-1)`` multi-hot (float or bool) over the foreground
            classes; maps of absent classes are set to 0.

    Returns:
        ``(N, C-1, h, w)`` float maps in [0, 1]: each class map divided by its
        spatial maximum (0 where the maximum is 0). Detached.
    """
    weight = classifier_weight.detach().reshape(classifier_weight.shape[0], -1)
    feats = features.detach()
    dtype = torch.promote_types(feats.dtype, torch.float32)
    with torch.autocast(feats.device.type, enabled=False):  # float32 under AMP
        cam = torch.einsum('nkhw,ck->nchw', feats.to(dtype),
                           weight.to(dtype)).relu_()
    cam = cam * image_labels.detach().to(dtype)[:, :, None, None]
    peak = cam.amax(dim=(2, 3), keepdim=True)
    return torch.where(peak > eps, cam / peak.clamp_min(torch.finfo(dtype).tiny),
                       torch.zeros_like(cam))
