"""StrongColorJitter (docs/method.md §5): presets, parameter ranges, op definitions, seeding."""
import colorsys
import itertools

import numpy as np
import pytest

import mmseg_pseudoseg  # noqa: F401
from mmseg.registry import TRANSFORMS
from mmseg_pseudoseg.datasets.transforms import (StrongColorJitter, adjust_brightness,
                                                 adjust_contrast, adjust_saturation_hue,
                                                 to_grayscale)

N_DRAWS = 4000


def _draws(jitter, n=N_DRAWS, seed=0):
    np.random.seed(seed)
    return [jitter.get_params() for _ in range(n)]


def _image(seed=0, shape=(24, 20, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _check_ranges(draws, brightness, contrast, saturation, hue):
    b = np.array([d['brightness'] for d in draws])
    c = np.array([d['contrast'] for d in draws])
    s = np.array([d['saturation'] for d in draws])
    h = np.array([d['hue'] for d in draws])
    for values, low, high in ((b, -brightness, brightness),
                              (c, max(0, 1 - contrast), 1 + contrast),
                              (s, max(0, 1 - saturation), 1 + saturation),
                              (h, -hue, hue)):
        width = high - low
        assert values.min() >= low and values.max() <= high
        # uniform: the extremes are reached and the mean / spread match
        assert values.min() < low + 0.01 * width and values.max() > high - 0.01 * width
        assert abs(values.mean() - (low + high) / 2) < 0.03 * width
        assert abs(values.std() - width / np.sqrt(12)) < 0.03 * width


def test_released_preset_ranges_and_always_on():
    jitter = StrongColorJitter()
    draws = _draws(jitter)
    _check_ranges(draws, 0.5, 0.5, 0.5, 0.25)
    assert all(d['apply'] for d in draws) and not any(d['gray'] for d in draws)
    orders = [d['order'] for d in draws]
    counts = {p: orders.count(p) for p in itertools.permutations(
        ('brightness', 'contrast', 'saturation', 'hue'))}
    assert len(counts) == 24 and min(counts.values()) > N_DRAWS / 24 * 0.6


@pytest.mark.parametrize('strength', [0.5, 1.0, 1.5])
def test_simclr_preset_scales_with_strength(strength):
    jitter = StrongColorJitter(preset='simclr', strength=strength)
    draws = _draws(jitter)
    _check_ranges(draws, 0.8 * strength, 0.8 * strength, 0.8 * strength,
                  0.2 * strength)
    p_apply = np.mean([d['apply'] for d in draws])
    p_gray = np.mean([d['gray'] for d in draws])
    tol = 4 * np.sqrt(0.2 * 0.8 / N_DRAWS)
    assert abs(p_apply - 0.8) < tol and abs(p_gray - 0.2) < tol


def test_overrides_and_fixed_order():
    jitter = StrongColorJitter(hue=0.1, prob=0.5, gray_prob=1.0,
                               order=['hue', 'brightness'])
    draws = _draws(jitter, 2000)
    assert all(d['order'] == ('hue', 'brightness') for d in draws)
    assert all(abs(d['hue']) <= 0.1 for d in draws) and all(d['gray'] for d in draws)
    assert abs(np.mean([d['apply'] for d in draws]) - 0.5) < 0.05


@pytest.mark.parametrize('kwargs, match', [
    (dict(preset='strong'), 'preset'), (dict(hue=0.6), 'hue'),
    (dict(prob=1.5), 'prob'), (dict(brightness=-1), 'brightness'),
    (dict(order=['brightness', 'blur']), 'order'), (dict(strength=-1), 'strength')])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StrongColorJitter(**kwargs)


def test_dtype_shape_and_seeded_determinism():
    jitter = TRANSFORMS.build(dict(type='StrongColorJitter'))
    img = _image(shape=(33, 47, 3))
    outs = []
    for seed in (5, 5, 6):
        np.random.seed(seed)
        out = jitter({'img': img.copy()})['img']
        assert out.dtype == np.uint8 and out.shape == img.shape
        outs.append(out)
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.array_equal(outs[0], outs[2])
    with pytest.raises(ValueError, match='uint8'):
        jitter({'img': img.astype(np.float32), 'img_path': 'x.jpg'})


def test_brightness_and_contrast_match_tf_definitions():
    img = _image(1)
    x = img.astype(np.float64) / 255
    for delta in (-0.5, -0.2, 0.1, 0.5):
        ref = np.clip(x + delta, 0, 1) * 255
        assert np.abs(adjust_brightness(img, delta) - ref).max() <= 0.5 + 1e-6
    for factor in (0.5, 0.9, 1.5):
        mean = x.reshape(-1, 3).mean(0)
        ref = np.clip((x - mean) * factor + mean, 0, 1) * 255
        assert np.abs(adjust_contrast(img, factor) - ref).max() <= 0.5 + 1e-3


def _reference_sat_hue(img, saturation, hue):
    """Per-pixel float reference with colorsys (TF adjust_saturation/adjust_hue)."""
    out = np.empty(img.shape, np.float64)
    for idx in np.ndindex(img.shape[:2]):
        b, g, r = img[idx] / 255.0
        h, s, v = colorsys.rgb_to_hsv(r, g, b)
        s = min(max(s * saturation, 0.0), 1.0)
        h = (h + hue) % 1.0
        r, g, b = colorsys.hsv_to_rgb(h, s, v)
        out[idx] = (b * 255, g * 255, r * 255)
    return out


@pytest.mark.parametrize('saturation, hue', [(1.0, 0.25), (1.0, -0.2), (0.5, 0.0),
                                             (1.5, 0.0), (1.3, 0.1)])
def test_saturation_and_hue_match_hsv_reference(saturation, hue):
    img = _image(2, (16, 16, 3))
    ours = adjust_saturation_hue(img, saturation, hue).astype(np.float64)
    ref = _reference_sat_hue(img, saturation, hue)
    err = np.abs(ours - ref)
    # 8-bit HSV: hue in 2-degree steps, S and V in 1/255 steps
    assert err.mean() < 0.8 and err.max() <= 6


def test_pure_hue_rotation():
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 2] = 255
    green = adjust_saturation_hue(red, 1.0, 1 / 3)
    np.testing.assert_array_equal(green[0, 0], [0, 255, 0])
    blue = adjust_saturation_hue(red, 1.0, -1 / 3)
    np.testing.assert_array_equal(blue[0, 0], [255, 0, 0])


def test_adjacent_saturation_hue_share_one_round_trip():
    img = _image(3)
    params = dict(apply=True, brightness=0.0, contrast=1.0, saturation=1.4,
                  hue=0.15, gray=False)
    merged = StrongColorJitter.apply(img, dict(params, order=('saturation', 'hue')))
    apart = adjust_saturation_hue(adjust_saturation_hue(img, 1.4, 0.0), 1.0, 0.15)
    np.testing.assert_array_equal(merged, adjust_saturation_hue(img, 1.4, 0.15))
    assert np.abs(merged.astype(int) - apart).mean() < 1.0


def test_apply_follows_the_order_and_grayscale():
    img = _image(4)
    params = dict(apply=True, brightness=0.3, contrast=1.5, saturation=1.0, hue=0.0,
                  gray=False)
    bc = StrongColorJitter.apply(img, dict(params, order=('brightness', 'contrast')))
    cb = StrongColorJitter.apply(img, dict(params, order=('contrast', 'brightness')))
    np.testing.assert_array_equal(bc, adjust_contrast(adjust_brightness(img, 0.3), 1.5))
    np.testing.assert_array_equal(cb, adjust_brightness(adjust_contrast(img, 1.5), 0.3))
    assert not np.array_equal(bc, cb)  # clipping after each op: order matters
    off = StrongColorJitter.apply(img, dict(params, order=('brightness',), apply=False))
    np.testing.assert_array_equal(off, img)
    gray = StrongColorJitter.apply(img, dict(params, apply=False, gray=True,
                                             order=()))
    np.testing.assert_array_equal(gray, to_grayscale(img))
    assert (gray[..., 0] == gray[..., 1]).all() and (gray[..., 1] == gray[..., 2]).all()
