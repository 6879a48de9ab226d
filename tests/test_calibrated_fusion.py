"""Calibrated fusion (docs/method.md §4) against a direct NumPy reimplementation."""
import numpy as np
import pytest
import torch

from mmseg_pseudoseg.models import (CalibratedFusion, calibrated_fusion,
                                    downsample_valid, padding_valid_mask, sharpen,
                                    soft_cross_entropy)

# ---------------------------------------------------------------- reference


def np_softmax(x, axis=1):
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def np_sharpen(a, t):
    a = a ** (1.0 / t)
    return a / a.sum(axis=1, keepdims=True)


def np_fusion(p, m, gamma, t, norm, eps=1e-8):
    """docs/method.md §4 written out: v = [p; m] / Norm, ỹ = Sharpen(γ σ(p/N) + (1-γ) σ(m/N), T)."""
    if norm == 'rms':
        s = np.sqrt(np.mean(np.concatenate([p.ravel() ** 2, m.ravel() ** 2])) + eps)
    elif norm == 'pixel_l2':
        s = np.sqrt((p ** 2).sum(axis=1, keepdims=True) +
                    (m ** 2).sum(axis=1, keepdims=True) + eps)
    else:
        s = 1.0
    return np_sharpen(gamma * np_softmax(p / s) + (1 - gamma) * np_softmax(m / s), t)


def logits_case(kind, shape=(2, 5, 6, 7), seed=0):
    rng = np.random.default_rng(seed)
    if kind == 'random':
        return rng.normal(0, 3, shape), rng.normal(0, 3, shape)
    if kind == 'extreme':  # ±1e4 logits: saturating softmax, huge norm
        p = rng.choice([-1e4, 0.0, 1e4], size=shape)
        m = rng.normal(0, 1e4, shape)
        return p, m
    if kind == 'zeros':
        return np.zeros(shape), np.zeros(shape)
    if kind == 'mixed':  # one all-zero pixel map, other random
        p = rng.normal(0, 2, shape)
        p[:, :, 0, 0] = 0
        m = np.zeros(shape)
        return p, m
    raise KeyError(kind)


def t32(x):
    return torch.from_numpy(np.asarray(x, dtype=np.float32))


# -------------------------------------------------------------------- tests


@pytest.mark.parametrize('kind', ['random', 'extreme', 'zeros', 'mixed'])
@pytest.mark.parametrize('norm', ['rms', 'pixel_l2', 'none'])
@pytest.mark.parametrize('gamma,temperature', [(0.5, 0.5), (0.3, 0.7), (0.8, 1.0)])
def test_fusion_matches_numpy(kind, norm, gamma, temperature):
    p, m = logits_case(kind)
    # The reference works in float64 on the float32-rounded inputs.
    p, m = p.astype(np.float32).astype(np.float64), m.astype(np.float32).astype(
        np.float64)
    expected = np_fusion(p, m, gamma, temperature, norm)
    got = calibrated_fusion(t32(p), t32(m), gamma, temperature, norm)
    assert got.shape == p.shape and got.dtype == torch.float32
    assert torch.isfinite(got).all()
    np.testing.assert_allclose(got.sum(1).numpy(), 1.0, atol=1e-5)
    np.testing.assert_allclose(got.numpy(), expected, atol=2e-5)


def test_rms_is_one_scalar_over_both_tensors():
    """Scaling both inputs by the same factor leaves the rms-normalised label
    unchanged; the per-pixel norm also; no normalisation does not."""
    p, m = (t32(x) for x in logits_case('random'))
    for norm in ('rms', 'pixel_l2'):
        a = calibrated_fusion(p, m, norm=norm)
        b = calibrated_fusion(7 * p, 7 * m, norm=norm)
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    assert not torch.allclose(calibrated_fusion(p, m, norm='none'),
                              calibrated_fusion(7 * p, 7 * m, norm='none'))


def test_float16_inputs_do_not_overflow():
    p, m = logits_case('random')
    p16, m16 = (t32(x * 100).half() for x in (p, m))  # squares overflow fp16
    got = calibrated_fusion(p16, m16)
    assert got.dtype == torch.float32 and torch.isfinite(got).all()
    torch.testing.assert_close(got, calibrated_fusion(p16.float(), m16.float()))


@pytest.mark.parametrize('temperature', [0.01, 0.3, 0.5, 1.0, 2.0])
def test_sharpen_matches_numpy(temperature):
    rng = np.random.default_rng(1)
    a = np_softmax(rng.normal(0, 2, (3, 6, 4, 4)))
    a = a.astype(np.float32).astype(np.float64)
    got = sharpen(t32(a), temperature)
    assert torch.isfinite(got).all()
    np.testing.assert_allclose(got.sum(1).numpy(), 1.0, atol=1e-5)
    if temperature >= 0.3:  # the direct power underflows in the reference below
        np.testing.assert_allclose(got.numpy(), np_sharpen(a, temperature),
                                   atol=2e-6)
    else:  # T -> 0 tends to the argmax one-hot
        torch.testing.assert_close(got.argmax(1), t32(a).argmax(1))


def test_sharpen_temperature_one_is_identity_and_zeros_stay_zero():
    rng = np.random.default_rng(2)
    a = t32(np_softmax(rng.normal(0, 2, (2, 4, 3, 3))))
    torch.testing.assert_close(sharpen(a, 1.0), a, atol=1e-7, rtol=0)
    one_hot = torch.zeros(1, 3, 1, 1)
    one_hot[0, 1] = 1
    torch.testing.assert_close(sharpen(one_hot, 0.5), one_hot)


@pytest.mark.parametrize('norm', ['rms', 'pixel_l2', 'none'])
def test_gamma_one_ignores_sgc_and_zero_ignores_decoder(norm):
    p, m = (t32(x) for x in logits_case('random'))
    other = torch.full_like(m, float('nan'))
    a = calibrated_fusion(p, m, gamma=1.0, norm=norm)
    b = calibrated_fusion(p, other, gamma=1.0, norm=norm)
    torch.testing.assert_close(a, b)
    c = calibrated_fusion(p, m, gamma=0.0, norm=norm)
    d = calibrated_fusion(torch.randn_like(p) * 50, m, gamma=0.0, norm=norm)
    torch.testing.assert_close(c, d)
    # and γ=1 is the decoder alone, normalised by its own norm
    p64 = p.double().numpy()
    s = {'rms': np.sqrt(np.mean(p64 ** 2) + 1e-8),
         'pixel_l2': np.sqrt((p64 ** 2).sum(1, keepdims=True) + 1e-8),
         'none': 1.0}[norm]
    np.testing.assert_allclose(a.numpy(), np_sharpen(np_softmax(p64 / s), 0.5),
                               atol=2e-5)


# ------------------------------------------------------------------ module


def test_module_sources_follow_released_code():
    p, m = logits_case('random')
    p, m = p.astype(np.float32).astype(np.float64), m.astype(np.float32).astype(
        np.float64)
    label, _ = CalibratedFusion(source='decoder', temperature=0.5)(t32(p), t32(m))
    np.testing.assert_allclose(label.numpy(), np_sharpen(np_softmax(p), 0.5),
                               atol=2e-5)
    label, _ = CalibratedFusion(source='sgc', temperature=0.7)(t32(p), t32(m))
    np.testing.assert_allclose(label.numpy(), np_sharpen(np_softmax(m), 0.7),
                               atol=2e-5)
    fusion = CalibratedFusion(gamma=0.3, temperature=0.7, norm='pixel_l2')
    label, confidence = fusion(t32(p), t32(m))
    expected = np_fusion(p, m, 0.3, 0.7, 'pixel_l2')
    np.testing.assert_allclose(label.numpy(), expected, atol=2e-5)
    np.testing.assert_allclose(confidence.numpy(), expected.max(1), atol=2e-5)
    # the decoder-only labeler needs no SGC logits
    assert not CalibratedFusion(source='decoder').needs_sgc
    label, _ = CalibratedFusion(source='decoder')(t32(p))
    np.testing.assert_allclose(label.numpy(), np_sharpen(np_softmax(p), 0.5),
                               atol=2e-5)


def test_module_hard_labels_and_confidence():
    p, m = logits_case('random', seed=3)
    p, m = p.astype(np.float32).astype(np.float64), m.astype(np.float32).astype(
        np.float64)
    fused_unsharpened = np_fusion(p, m, 0.5, 1.0, 'rms')
    label, confidence = CalibratedFusion(hard=True, threshold=0.6)(t32(p), t32(m))
    label = label.numpy()
    assert set(np.unique(label)) <= {0.0, 1.0}
    np.testing.assert_array_equal(label.argmax(1), fused_unsharpened.argmax(1))
    np.testing.assert_allclose(label.sum(1), 1.0)
    np.testing.assert_allclose(confidence.numpy(), fused_unsharpened.max(1),
                               atol=2e-5)
    _, soft_confidence = CalibratedFusion(threshold=0.6)(t32(p), t32(m))
    sharpened = np_fusion(p, m, 0.5, 0.5, 'rms')
    np.testing.assert_allclose(soft_confidence.numpy(), sharpened.max(1),
                               atol=2e-5)


def test_module_has_no_state_and_validates_config():
    assert len(CalibratedFusion().state_dict()) == 0
    for kwargs, key in [(dict(norm='l1'), 'norm'), (dict(source='ema'), 'source'),
                        (dict(gamma=-0.1), 'gamma'), (dict(temperature=0), 'temperature'),
                        (dict(threshold=2), 'threshold')]:
        with pytest.raises(ValueError, match=f'pseudo_labeler.{key}'):
            CalibratedFusion(**kwargs)


def test_non_finite_sgc_ignored_when_unused():
    p, m = (t32(x) for x in logits_case('random'))
    m[:] = float('nan')
    label, confidence = CalibratedFusion(source='decoder')(p, m)
    assert torch.isfinite(label).all() and torch.isfinite(confidence).all()


# -------------------------------------------------------------------- L_u


def test_soft_cross_entropy_matches_numpy_and_threshold_keeps_denominator():
    rng = np.random.default_rng(4)
    logits = rng.normal(0, 2, (2, 4, 5, 5)).astype(np.float32)
    target = np_softmax(rng.normal(0, 2, (2, 4, 5, 5))).astype(np.float32)
    valid = rng.random((2, 5, 5)) > 0.3
    confident = rng.random((2, 5, 5)) > 0.5
    per_pixel = -(target * np.log(np_softmax(logits.astype(np.float64)))).sum(1)
    expected = (per_pixel * (valid & confident)).sum() / valid.sum()
    got = soft_cross_entropy(torch.from_numpy(logits), torch.from_numpy(target),
                             torch.from_numpy(valid & confident),
                             torch.from_numpy(valid))
    assert abs(float(got) - expected) < 1e-5
    none = soft_cross_entropy(torch.from_numpy(logits).requires_grad_(),
                              torch.from_numpy(target),
                              torch.zeros(2, 5, 5, dtype=torch.bool),
                              torch.zeros(2, 5, 5, dtype=torch.bool))
    assert float(none) == 0.0 and none.requires_grad


def test_downsample_valid_modes():
    valid = torch.ones(1, 8, 8, dtype=torch.bool)
    valid[0, 1, 1] = False  # not sampled by nearest (samples rows/cols 0,2,4,6)
    valid[0, 6, 6] = False  # sampled
    near = downsample_valid(valid, (4, 4), 'nearest')
    anyinv = downsample_valid(valid, (4, 4), 'any')
    expected_near = torch.ones(1, 4, 4, dtype=torch.bool)
    expected_near[0, 3, 3] = False
    expected_any = expected_near.clone()
    expected_any[0, 0, 0] = False
    assert torch.equal(near, expected_near) and torch.equal(anyinv, expected_any)


def test_padding_valid_mask_from_metainfo():
    metas = [dict(padding_size=[0, 3, 0, 2], img_shape=(6, 5)),
             dict(img_shape=(7, 6)),
             dict(padding_size=[1, 0, 2, 0])]
    mask = padding_valid_mask(metas, (8, 8))
    expected = torch.zeros(3, 8, 8, dtype=torch.bool)
    expected[0, :6, :5] = True
    expected[1, :7, :6] = True
    expected[2, 2:, 1:] = True
    assert torch.equal(mask, expected)
