"""``PILColorJitter``: the colour jitter and grayscale of UniMatch's strong view
(``dataset/semi.py``: ``ColorJitter(0.5, 0.5, 0.5, 0.25)`` with p = 0.8, then
``RandomGrayscale(p=0.2)``; docs/methods.md §4) and of CutMix-Seg's
``--aug_strong_colour`` (0.4, 0.4, 0.4, 0.1; docs/methods.md §2).

The authors call torchvision's ``ColorJitter`` on a PIL image; these are its PIL
operations (torchvision 0.13 ``functional_pil``), on the RGB image:

- brightness ``b ~ U[1 − B, 1 + B]``: ``ImageEnhance.Brightness`` (blend with black);
- contrast ``c ~ U[1 − C, 1 + C]``: ``ImageEnhance.Contrast`` (blend with the
  image's mean grey level, one scalar);
- saturation ``s ~ U[1 − S, 1 + S]``: ``ImageEnhance.Color`` (blend with the
  per-pixel grey);
- hue ``h ~ U[−H, H]``: the H channel of PIL's 8-bit HSV plus ``int(h·255)``,
  wrapping;

the four in a random order (a permutation per image), then grayscale (PIL ``L``,
ITU-R 601 luma, repeated over three channels) with probability ``gray_prob``.
Random draws come from numpy's global generator (mmengine seeds it per worker)
instead of torch's. The image stays uint8 BGR.
"""
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS
from PIL import Image, ImageEnhance

__all__ = ['PILColorJitter']

ENHANCERS = (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color)


def adjust_hue(img: Image.Image, hue: float) -> Image.Image:
    """torchvision's PIL ``adjust_hue``: shift 8-bit HSV hue by ``int(hue·255)``."""
    h, s, v = img.convert('HSV').split()
    shifted = (np.asarray(h, np.int16) + int(hue * 255)) % 256
    return Image.merge('HSV', (Image.fromarray(shifted.astype(np.uint8), 'L'), s,
                               v)).convert('RGB')


@TRANSFORMS.register_module()
class PILColorJitter(BaseTransform):
    """Colour jitter (probability ``prob``) then grayscale (``gray_prob``).

    Args:
        brightness, contrast, saturation (float): factor ranges ``[1 − x, 1 + x]``.
        hue (float): shift range ``[−hue, hue]`` of the hue circle (≤ 0.5).
        prob (float): chance of the jitter. Defaults to 0.8.
        gray_prob (float): chance of grayscale. Defaults to 0.2.

    Modified key: ``img`` (uint8 BGR).
    """

    def __init__(self, brightness: float = 0.5, contrast: float = 0.5,
                 saturation: float = 0.5, hue: float = 0.25, prob: float = 0.8,
                 gray_prob: float = 0.2) -> None:
        for name, value, top in (('brightness', brightness, 1.0),
                                 ('contrast', contrast, 1.0),
                                 ('saturation', saturation, 1.0), ('hue', hue, 0.5),
                                 ('prob', prob, 1.0), ('gray_prob', gray_prob, 1.0)):
            if not 0.0 <= value <= top:
                raise ValueError(f'PILColorJitter: {name} must be in [0, {top}], '
                                 f'got {value}')
        self.ranges = (brightness, contrast, saturation)
        self.hue = float(hue)
        self.prob = float(prob)
        self.gray_prob = float(gray_prob)

    @cache_randomness
    def _draws(self):
        jitter = None
        if np.random.rand() < self.prob:
            order = np.random.permutation(4)
            factors = [np.random.uniform(1 - r, 1 + r) for r in self.ranges]
            jitter = order, factors, np.random.uniform(-self.hue, self.hue)
        return jitter, np.random.rand() < self.gray_prob

    def transform(self, results: dict) -> dict:
        jitter, gray = self._draws()
        img = Image.fromarray(np.ascontiguousarray(results['img'][..., ::-1]))
        if jitter is not None:
            order, factors, hue = jitter
            for op in order:
                img = (adjust_hue(img, hue) if op == 3 else
                       ENHANCERS[op](img).enhance(factors[op]))
        if gray:
            img = img.convert('L').convert('RGB')
        results['img'] = np.ascontiguousarray(np.asarray(img)[..., ::-1])
        return results

    def __repr__(self) -> str:
        b, c, s = self.ranges
        return (f'{self.__class__.__name__}(brightness={b}, contrast={c}, '
                f'saturation={s}, hue={self.hue}, prob={self.prob}, '
                f'gray_prob={self.gray_prob})')
