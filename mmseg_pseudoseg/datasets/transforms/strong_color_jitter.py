"""``StrongColorJitter``: the strong view's photometric jitter (docs/method.md §5).

Two presets:

* ``'released'`` (default, the authors' released code): always applied; the four
  ops in a random order, clipping after each: brightness ``x + δ``,
  ``δ ~ U[-0.5, 0.5]`` on the ``[0, 1]`` scale; contrast ``(x - mean_c)·f + mean_c``
  with the per-channel image mean, ``f ~ U[0.5, 1.5]``; saturation ``S·f``,
  ``f ~ U[0.5, 1.5]`` (HSV); hue ``H + δ`` (mod 1), ``δ ~ U[-0.25, 0.25]`` of the
  hue circle. No grayscale, no blur.
* ``'simclr'`` (paper text, SimCLR-style with strength ``s``): brightness, contrast,
  saturation ``0.8·s``, hue ``0.2·s``; the jitter is applied with ``p = 0.8`` and
  followed by grayscale with ``p = 0.2``.

Any of ``brightness``, ``contrast``, ``saturation``, ``hue``, ``prob``,
``gray_prob`` and ``order`` overrides the preset. The ops follow TensorFlow's
``adjust_*`` definitions used by the released code.

Implementation: uint8 BGR in and out, vectorised with OpenCV: a saturating add for
brightness, a per-channel look-up table for contrast, and one uint8 HSV round trip
(OpenCV's 8-bit HSV, hue on 180 levels of 2 degrees, as in
``PhotoMetricDistortion``) with a look-up table on the S / H channel per
saturation/hue op, shared when the two are adjacent in the order (exactly
equivalent there, since HSV->BGR output needs no clipping). Values are rounded to
uint8 after each op, like mmseg's ``PhotoMetricDistortion``. All random
draws use numpy's global generator (mmengine seeds it per worker).
"""
from typing import Dict, Optional, Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

__all__ = ['StrongColorJitter', 'adjust_brightness', 'adjust_contrast',
           'adjust_saturation_hue', 'to_grayscale', 'JITTER_OPS']

JITTER_OPS = ('brightness', 'contrast', 'saturation', 'hue')
_RAMP = np.arange(256, dtype=np.float32)

PRESETS = {
    'released': dict(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.25,
                     prob=1.0, gray_prob=0.0),
    'simclr': dict(brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2,
                   prob=0.8, gray_prob=0.2),
}


def _lut(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def adjust_brightness(img: np.ndarray, delta: float) -> np.ndarray:
    """``clip(x + delta)`` with ``x``, ``delta`` on the [0, 1] scale. uint8 (H,W,3)."""
    # integer shift: OpenCV's fast saturating path; within 0.5 of the exact value
    shift = int(np.rint(255.0 * abs(delta)))
    scalar = (shift, shift, shift, 0)
    return cv2.add(img, scalar) if delta >= 0 else cv2.subtract(img, scalar)


def adjust_contrast(img: np.ndarray, factor: float) -> np.ndarray:
    """``clip((x - mean_c)·factor + mean_c)``, ``mean_c``: channel mean. uint8 (H,W,3)."""
    means = [v / (img.shape[0] * img.shape[1]) for v in cv2.sumElems(img)[:3]]
    table = np.stack([_lut((_RAMP - m) * factor + m) for m in means], axis=-1)
    return cv2.LUT(img, table.reshape(256, 1, 3))


def adjust_saturation_hue(img: np.ndarray, saturation: float = 1.0,
                          hue: float = 0.0) -> np.ndarray:
    """HSV ``S·saturation`` (clipped) and ``H + hue`` (fraction of the circle, mod 1).

    Saturation is applied before hue; the two commute. uint8 BGR (H,W,3).
    """
    tables = {}
    if hue != 0.0:
        hue_table = np.arange(256)
        hue_table[:180] = (hue_table[:180] + int(np.rint(hue * 180))) % 180
        tables[0] = hue_table.astype(np.uint8)
    if saturation != 1.0:
        tables[1] = _lut(_RAMP * saturation)
    if not tables:
        return img
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)  # H in [0, 180)
    for channel, table in tables.items():  # one channel at a time: cheaper than 3
        cv2.insertChannel(cv2.LUT(cv2.extractChannel(hsv, channel), table), hsv,
                          channel)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)


def to_grayscale(img: np.ndarray) -> np.ndarray:
    """Luma (0.299 R + 0.587 G + 0.114 B) copied to 3 channels. uint8 (H,W,3)."""
    return cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)


@TRANSFORMS.register_module()
class StrongColorJitter(BaseTransform):
    """Colour jitter of the strong view (docs/method.md §5).

    Modifies ``results['img']`` with parameters drawn by :meth:`get_params` and
    applied by :meth:`apply`.

    Args:
        preset (str): ``'released'`` (default) or ``'simclr'``.
        strength (float): SimCLR strength ``s`` (scales brightness, contrast,
            saturation, hue of the ``'simclr'`` preset). Default 1.0.
        brightness (float, optional): max additive delta on the [0, 1] scale.
        contrast (float, optional): factor drawn from ``[max(0, 1-c), 1+c]``.
        saturation (float, optional): factor drawn from ``[max(0, 1-s), 1+s]``.
        hue (float, optional): max hue shift, fraction of the circle, ``<= 0.5``.
        prob (float, optional): probability that the jitter is applied at all.
        gray_prob (float, optional): probability of grayscale afterwards.
        order (sequence[str], optional): a fixed op order (names from
            ``JITTER_OPS``; ops left out are not applied); ``None`` draws a random
            order of all four for each image (default).
    """

    def __init__(self, preset: str = 'released', strength: float = 1.0,
                 brightness: Optional[float] = None, contrast: Optional[float] = None,
                 saturation: Optional[float] = None, hue: Optional[float] = None,
                 prob: Optional[float] = None, gray_prob: Optional[float] = None,
                 order: Optional[Sequence[str]] = None) -> None:
        if preset not in PRESETS:
            raise ValueError(f'StrongColorJitter: preset must be one of '
                             f'{sorted(PRESETS)}, got {preset!r}')
        if strength < 0:
            raise ValueError(f'StrongColorJitter: strength must be >= 0, got {strength}')
        cfg = dict(PRESETS[preset])
        if preset == 'simclr':
            for key in JITTER_OPS:
                cfg[key] *= strength
        given = dict(brightness=brightness, contrast=contrast, saturation=saturation,
                     hue=hue, prob=prob, gray_prob=gray_prob)
        cfg.update({k: float(v) for k, v in given.items() if v is not None})
        for key in JITTER_OPS:
            if cfg[key] < 0:
                raise ValueError(f'StrongColorJitter: {key} must be >= 0, got {cfg[key]}')
        if cfg['hue'] > 0.5:
            raise ValueError(f'StrongColorJitter: hue must be <= 0.5, got {cfg["hue"]}')
        for key in ('prob', 'gray_prob'):
            if not 0 <= cfg[key] <= 1:
                raise ValueError(f'StrongColorJitter: {key} must be in [0, 1], '
                                 f'got {cfg[key]}')
        if order is not None:
            unknown = [op for op in order if op not in JITTER_OPS]
            if unknown or len(set(order)) != len(order):
                raise ValueError(f'StrongColorJitter: order must list distinct ops '
                                 f'from {JITTER_OPS}, got {order!r}')
            order = tuple(order)
        self.preset, self.strength, self.order = preset, strength, order
        self.brightness, self.contrast = cfg['brightness'], cfg['contrast']
        self.saturation, self.hue = cfg['saturation'], cfg['hue']
        self.prob, self.gray_prob = cfg['prob'], cfg['gray_prob']

    @cache_randomness
    def get_params(self) -> Dict:
        """Draw one set of parameters (numpy global RNG).

        Returns:
            dict: ``apply`` (bool), ``order`` (tuple of op names), ``brightness``
            (additive delta), ``contrast``, ``saturation`` (factors), ``hue``
            (shift), ``gray`` (bool).
        """
        apply = bool(np.random.rand() < self.prob)
        order = (self.order if self.order is not None else
                 tuple(JITTER_OPS[i] for i in np.random.permutation(4)))
        params = dict(
            apply=apply, order=order,
            brightness=float(np.random.uniform(-self.brightness, self.brightness)),
            contrast=float(np.random.uniform(max(0.0, 1 - self.contrast),
                                             1 + self.contrast)),
            saturation=float(np.random.uniform(max(0.0, 1 - self.saturation),
                                               1 + self.saturation)),
            hue=float(np.random.uniform(-self.hue, self.hue)))
        params['gray'] = bool(np.random.rand() < self.gray_prob)
        return params

    @staticmethod
    def apply(img: np.ndarray, params: Dict) -> np.ndarray:
        """Apply drawn ``params`` to a uint8 BGR image (H,W,3); returns a new array."""
        if params['apply']:
            ops, k = list(params['order']), 0
            while k < len(ops):
                op = ops[k]
                if op == 'brightness':
                    img = adjust_brightness(img, params['brightness'])
                elif op == 'contrast':
                    img = adjust_contrast(img, params['contrast'])
                else:  # saturation / hue, sharing one HSV round trip if adjacent
                    pair = (k + 1 < len(ops)
                            and {op, ops[k + 1]} == {'saturation', 'hue'})
                    sat = params['saturation'] if (op == 'saturation' or pair) else 1.0
                    hue = params['hue'] if (op == 'hue' or pair) else 0.0
                    img = adjust_saturation_hue(img, sat, hue)
                    k += int(pair)
                k += 1
        if params['gray']:
            img = to_grayscale(img)
        return img

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            where = results.get('img_path', '<unknown image>')
            raise ValueError(f'StrongColorJitter expects a uint8 (H,W,3) BGR image, '
                             f'got {img.dtype} {"x".join(map(str, img.shape))} for '
                             f'{where}. Load it as 8-bit colour (LoadImageFromFile '
                             "with color_type='color') or convert the file.")
        params = self.get_params()
        results['img'] = self.apply(np.ascontiguousarray(img), params)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(preset={self.preset!r}, '
                f'strength={self.strength}, brightness={self.brightness}, '
                f'contrast={self.contrast}, saturation={self.saturation}, '
                f'hue={self.hue}, prob={self.prob}, gray_prob={self.gray_prob}, '
                f'order={self.order})')
