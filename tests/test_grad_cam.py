"""Closed-form Grad-CAM (docs/method.md §2) equals autograd Grad-CAM."""
import pytest
import torch
import torch.nn as nn

from mmseg_pseudoseg.models import grad_cam


def autograd_grad_cam(features, classifier, image_labels):
    """Textbook Grad-CAM through GAP -> 1x1 conv, one backward per class:
    α_ck = mean_ij ∂y_c/∂A_k[i,j];  CAM_c = ReLU(Σ_k α_ck A_k); absent classes 0;
    each map divided by its spatial max (0 where the max is 0)."""
    feats = features.detach().clone().requires_grad_(True)
    logits = classifier(feats.mean(dim=(2, 3), keepdim=True)).flatten(1)
    maps = []
    for c in range(logits.shape[1]):
        (grads, ) = torch.autograd.grad(logits[:, c].sum(), feats, retain_graph=True)
        alpha = grads.mean(dim=(2, 3), keepdim=True)
        maps.append((alpha * feats).sum(dim=1).relu())
    cam = torch.stack(maps, dim=1).detach() * image_labels[:, :, None, None]
    peak = cam.amax(dim=(2, 3), keepdim=True)
    return torch.where(peak > 0, cam / peak.clamp_min(1e-30), torch.zeros_like(cam))


@pytest.mark.parametrize('seed,shape', [(0, (2, 16, 5, 6)), (1, (3, 8, 9, 9)),
                                        (2, (1, 32, 4, 4))])
def test_closed_form_equals_autograd(seed, shape):
    torch.manual_seed(seed)
    n, k, h, w = shape
    c1 = 6
    features = torch.randn(shape).relu()  # post-ReLU like a ResNet stage
    classifier = nn.Conv2d(k, c1, 1)
    labels = (torch.rand(n, c1) > 0.4).float()
    labels[0, 0] = 1.0
    labels[0, 1] = 0.0
    expected = autograd_grad_cam(features, classifier, labels)
    got = grad_cam(features, classifier.weight, labels)
    assert got.shape == (n, c1, h, w)
    assert (got - expected).abs().max() < 1e-5
    # a map that is present and not all zero peaks at exactly 1
    assert torch.allclose(got[0, 0].max(), torch.tensor(1.0))
    # 2-D weight gives the same as the conv weight
    torch.testing.assert_close(grad_cam(features, classifier.weight[:, :, 0, 0],
                                        labels), got)


def test_absent_classes_are_zero_and_labels_may_be_bool():
    torch.manual_seed(3)
    features = torch.randn(2, 8, 4, 4).relu()
    weight = torch.randn(4, 8)
    labels = torch.tensor([[True, False, True, False], [False, False, False, False]])
    cam = grad_cam(features, weight, labels)
    assert cam[0, 1].abs().sum() == 0 and cam[0, 3].abs().sum() == 0
    assert cam[1].abs().sum() == 0
    assert cam[0, 0].max() > 0 and cam.min() >= 0 and cam.max() <= 1


def test_all_negative_class_map_is_zero_not_nan():
    features = torch.rand(1, 4, 3, 3)
    weight = -torch.ones(2, 4)  # ReLU(Σ w A) = 0 everywhere
    cam = grad_cam(features, weight, torch.ones(1, 2))
    assert torch.isfinite(cam).all() and cam.abs().sum() == 0


def test_result_is_detached():
    features = torch.randn(1, 4, 3, 3, requires_grad=True)
    weight = torch.randn(2, 4, requires_grad=True)
    cam = grad_cam(features, weight, torch.ones(1, 2))
    assert not cam.requires_grad and cam.grad_fn is None