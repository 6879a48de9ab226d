"""SGCHead (docs/method.md §1-3): attention against a direct reimplementation, masking,
background channel, BN without scale, stage indices, losses, gradient isolation."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmseg_pseudoseg.models import SGCHead

CHANNELS = (8, 16, 32, 64)
C = 5


def make_head(**kwargs):
    torch.manual_seed(0)
    cfg = dict(in_channels=CHANNELS, num_classes=C, attention_dim=16)
    cfg.update(kwargs)
    return SGCHead(**cfg)


def make_feats(n=2, seed=0, requires_grad=False):
    g = torch.Generator().manual_seed(seed)
    sizes = [(16, 16), (8, 8), (4, 4), (4, 4)]  # ResNet at output stride 16
    return tuple(torch.randn(n, c, h, w, generator=g).relu().requires_grad_(requires_grad)
                 for c, (h, w) in zip(CHANNELS, sizes))


def reference_sgc(head, cam, hypercolumn, key_valid, background='released'):
    """docs/method.md §3 written out with explicit matrices."""
    n, _, h, w = cam.shape
    hc = hypercolumn.flatten(2)  # (n, K, p)
    q = torch.einsum('dk,nkp->ndp', head.query.weight[:, :, 0, 0], hc)
    k = torch.einsum('dk,nkp->ndp', head.key.weight[:, :, 0, 0], hc)
    logits = torch.einsum('ndp,ndq->npq', q, k) / math.sqrt(head.attention_dim)
    logits = logits.masked_fill(~key_valid.flatten(1)[:, None, :], float('-inf'))
    att = logits.softmax(dim=-1)
    v = cam.flatten(2)
    if background == 'paper':
        v = torch.cat([1 - v.max(dim=1, keepdim=True)[0], v], dim=1)
    out = torch.einsum('npq,ncq->ncp', att, v) + v
    if background == 'released':
        out = torch.cat([2 - out.max(dim=1, keepdim=True)[0], out], dim=1)
    z = torch.einsum('oc,ncp->nop', head.out_conv.weight[:, :, 0, 0], out)
    mean = z.mean(dim=(0, 2), keepdim=True)
    var = z.var(dim=(0, 2), unbiased=False, keepdim=True)
    z = (z - mean) / torch.sqrt(var + 1e-5) + head.out_bias.view(1, -1, 1)
    return z.view(n, -1, h, w)


@pytest.mark.parametrize('background', ['released', 'paper'])
def test_attention_matches_reference(background):
    head = make_head(background=background)
    with torch.no_grad():
        head.out_bias.normal_()
    feats = make_feats()
    labels = torch.tensor([[1., 0., 1., 1.], [0., 1., 0., 0.]])
    key_valid = torch.ones(2, 4, 4, dtype=torch.bool)
    key_valid[0, 3, :] = False
    key_valid[1, :, 2:] = False
    cam = head.cam(feats, labels)
    hyper = head.hypercolumn(feats, (4, 4))
    got = head.attend(cam, hyper, key_valid)
    expected = reference_sgc(head, cam, hyper, key_valid, background)
    assert got.shape == (2, C, 4, 4)
    assert (got - expected).abs().max() < 1e-5
    # masking matters: without it the answer differs
    unmasked = reference_sgc(head, cam, hyper, torch.ones_like(key_valid), background)
    assert (got - unmasked).abs().max() > 1e-3


def test_masked_keys_do_not_influence_valid_positions():
    head = make_head()
    g = torch.Generator().manual_seed(1)
    value = torch.rand(1, C - 1, 4, 4, generator=g)
    hyper = torch.randn(1, 96, 4, 4, generator=g)
    key_valid = torch.ones(1, 4, 4, dtype=torch.bool)
    key_valid[0, :2, :2] = False
    before = head.propagate(value, hyper, key_valid)
    value2, hyper2 = value.clone(), hyper.clone()
    value2[0, :, :2, :2] = 7.0
    hyper2[0, :, :2, :2] = torch.randn(96, 2, 2, generator=g) * 5
    after = head.propagate(value2, hyper2, key_valid)
    keep = key_valid[0]
    torch.testing.assert_close(after[0][:, keep], before[0][:, keep])
    # skip connection: out = A·V + V, so values lie in [0, 2] for V in [0, 1]
    assert before.min() >= 0 and before.max() <= 2 + 1e-6


def test_image_without_valid_keys_stays_finite():
    head = make_head()
    feats = make_feats(n=1)
    out = head(feats, torch.ones(1, C - 1), torch.zeros(1, 64, 64, dtype=torch.bool))
    assert torch.isfinite(out).all()


def test_released_and_paper_background():
    head = make_head(background='paper')
    value = torch.rand(1, C - 1, 4, 4)
    hyper = torch.randn(1, 96, 4, 4)
    # 'paper': 1 - max(CAM) is part of the value, so it propagates
    captured = {}
    head.out_conv.register_forward_hook(lambda m, i, o: captured.update(x=i[0]))
    head.attend(value, hyper)
    bg_value = 1 - value.max(dim=1)[0]
    full_value = torch.cat([bg_value[:, None], value], dim=1)
    torch.testing.assert_close(captured['x'], head.propagate(full_value, hyper))
    head = make_head()
    head.out_conv.register_forward_hook(lambda m, i, o: captured.update(x=i[0]))
    head.attend(value, hyper)
    prop = head.propagate(value, hyper)
    torch.testing.assert_close(captured['x'][:, 0], 2 - prop.max(dim=1)[0])
    torch.testing.assert_close(captured['x'][:, 1:], prop)


def test_output_bn_has_no_scale_and_uses_batch_stats_in_eval():
    head = make_head()
    assert head.out_bn.weight is None and head.out_bn.bias is None
    assert head.out_conv.bias is None and head.key.bias is None
    assert head.query.bias is None
    names = {n for n, _ in head.named_parameters()}
    assert names == {'classifier.weight', 'classifier.bias', 'key.weight',
                     'query.weight', 'out_conv.weight', 'out_bias'}
    with torch.no_grad():
        head.out_bias.copy_(torch.arange(C, dtype=torch.float32))
    head.eval()
    out = head(make_feats(), torch.ones(2, C - 1))
    torch.testing.assert_close(out.mean(dim=(0, 2, 3)),
                               torch.arange(C, dtype=torch.float32),
                               atol=1e-4, rtol=0)
    torch.testing.assert_close(out.var(dim=(0, 2, 3), unbiased=False),
                               torch.ones(C), atol=1e-2, rtol=0)


def test_shapes_and_no_hypercolumn_ablation():
    head = make_head(hypercolumn_in_index=(3, ))
    assert head.key.in_channels == 64 and head.hypercolumn_in_index == (3, )
    feats = make_feats()
    assert head(feats, torch.ones(2, C - 1)).shape == (2, C, 4, 4)
    head = make_head(hypercolumn_in_index=(1, 3), cam_in_index=2)
    assert head.key.in_channels == 16 + 64 and head.classifier.in_channels == 32
    hyper = head.hypercolumn(feats, (4, 4))
    assert hyper.shape == (2, 80, 4, 4)
    torch.testing.assert_close(hyper[:, 16:], feats[3])
    assert make_head().hypercolumn_in_index == (2, 3)


@pytest.mark.parametrize('kwargs,needle', [
    (dict(cam_in_index=4), 'sgc_head.cam_in_index=4 is out of range: the backbone '
                           'gives 4 stages'),
    (dict(cam_in_index=-5), 'sgc_head.cam_in_index=-5'),
    (dict(hypercolumn_in_index=(2, 7)), 'sgc_head.hypercolumn_in_index=7 is out of '
                                        'range: the backbone gives 4 stages'),
    (dict(hypercolumn_in_index=()), 'at least one'),
    (dict(background='one'), 'background'),
    (dict(num_classes=1), 'num_classes'),
])
def test_bad_config(kwargs, needle):
    with pytest.raises(ValueError) as err:
        make_head(**kwargs)
    assert needle in str(err.value)


def test_backbone_outputs_must_match_in_channels():
    head = make_head()
    feats = make_feats()
    with pytest.raises(ValueError, match=r'lists 4 stages .* gives 3 outputs'):
        head.check_inputs(feats[1:])
    bad = feats[:3] + (torch.zeros(2, 48, 4, 4), )
    with pytest.raises(ValueError, match=r'in_channels\[3\]=64 but backbone stage 3 '
                                         'has 48 channels'):
        head.check_inputs(bad)


def test_classifier_is_gap_dropout_conv():
    head = make_head()
    feats = make_feats()
    gap = feats[3].mean(dim=(2, 3))
    expected = gap @ head.classifier.weight[:, :, 0, 0].T + head.classifier.bias
    torch.testing.assert_close(head.classify(feats, dropout=False), expected)
    head.train()
    torch.manual_seed(0)
    a = head.classify(feats, dropout=True)
    assert not torch.allclose(a, expected)  # dropout 0.5 active in training
    head.eval()
    torch.testing.assert_close(head.classify(feats, dropout=True), expected)


def test_labels_from_seg():
    head = make_head()
    gt = torch.tensor([[[0, 1, 255], [3, 3, 0]], [[0, 0, 0], [255, 255, 0]]])
    labels = head.labels_from_seg(gt[:, None])
    torch.testing.assert_close(labels, torch.tensor([[1., 0., 1., 0.],
                                                     [0., 0., 0., 0.]]))


def test_loss_cls_is_mean_bce():
    head = make_head(loss_cls_weight=2.0)
    logits = torch.tensor([[2.0, -1.0, 0.5, 0.0], [-3.0, 4.0, 0.1, -0.2]])
    labels = torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]])
    sig = 1 / (1 + np.exp(-logits.numpy()))
    bce = -(labels.numpy() * np.log(sig) + (1 - labels.numpy()) * np.log(1 - sig))
    out = head.loss_cls(logits, labels)
    assert abs(float(out['loss_cls']) - 2.0 * bce.mean()) < 1e-6
    # decisions sigmoid>=0.5: [1,0,1,1] vs [1,0,0,1]; [0,1,1,0] vs [0,1,1,0]
    assert abs(float(out['acc']) - 100 * 7 / 8) < 1e-4


def test_loss_sa_is_ce_over_non_ignored_pixels():
    head = make_head()
    torch.manual_seed(1)
    logits = torch.randn(2, C, 4, 4)
    gt = torch.randint(0, C, (2, 1, 16, 16))
    gt[:, :, :5] = 255
    out = head.loss_sa(logits, gt)
    # bilinear with align_corners=True, as the released code's L_sa
    up = F.interpolate(logits, size=(16, 16), mode='bilinear', align_corners=True)
    expected = F.cross_entropy(up, gt[:, 0], ignore_index=255)
    assert abs(float(out['loss_sa']) - float(expected)) < 1e-5
    assert 0 <= float(out['acc_sa']) <= 100
    all_ignored = head.loss_sa(logits, torch.full((2, 16, 16), 255))['loss_sa']
    assert torch.isfinite(all_ignored) and float(all_ignored) == 0


def test_loss_sa_gradient_reaches_only_sgc_parameters():
    head = make_head()
    head.train()
    feats = make_feats(requires_grad=True)
    labels = torch.ones(2, C - 1)
    gt = torch.randint(0, C, (2, 1, 64, 64))
    sgc = head(feats, labels, torch.ones(2, 64, 64, dtype=torch.bool))
    head.loss_sa(sgc, gt)['loss_sa'].backward()
    assert all(f.grad is None for f in feats)
    assert head.classifier.weight.grad is None and head.classifier.bias.grad is None
    for name in ('key.weight', 'query.weight', 'out_conv.weight', 'out_bias'):
        grad = dict(head.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name
