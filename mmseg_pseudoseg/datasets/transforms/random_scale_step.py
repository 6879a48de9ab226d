"""``RandomScaleStep``: random rescaling of the original image (docs/method.md §5 weak geometry).

The released code draws the factor from ``{0.5, 0.75, ..., 2.0}`` (steps of 0.25);
``step=None`` draws it uniformly from ``ratio_range`` instead. The image is resized
bilinearly and every seg field (label map, validity map) with nearest neighbour by
mmseg's ``Resize``.
"""
from typing import Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

__all__ = ['RandomScaleStep']


@TRANSFORMS.register_module()
class RandomScaleStep(BaseTransform):
    """Resize by a random factor of the image's own size.

    Args:
        ratio_range (tuple[float, float]): smallest and largest factor.
            Default ``(0.5, 2.0)``.
        step (float, optional): spacing of the discrete factors; ``None`` (or 0)
            for a continuous uniform factor. Default 0.25.
        interpolation (str): image interpolation of mmseg's ``Resize``.
        backend (str): ``'cv2'`` or ``'pillow'``.

    Adds ``scale``, ``scale_factor`` (``(w_ratio, h_ratio)``), ``keep_ratio`` like
    ``Resize``; ``img_shape`` is updated.
    """

    def __init__(self, ratio_range: Tuple[float, float] = (0.5, 2.0),
                 step: Optional[float] = 0.25, interpolation: str = 'bilinear',
                 backend: str = 'cv2') -> None:
        low, high = (float(v) for v in ratio_range)
        if not 0 < low <= high:
            raise ValueError(f'RandomScaleStep: ratio_range must satisfy '
                             f'0 < low <= high, got {ratio_range}. Give two '
                             'positive factors, the smaller first.')
        self.ratio_range = (low, high)
        self.step = float(step) if step else None
        if self.step is not None:
            if self.step <= 0:
                raise ValueError(f'RandomScaleStep: step must be > 0, got {step}. '
                                 'Use a positive step, or None for a continuous '
                                 'factor.')
            count = int(np.floor((high - low) / self.step + 1e-6)) + 1
            self.factors = low + self.step * np.arange(count)
        else:
            self.factors = None
        self.resize = TRANSFORMS.build(dict(type='Resize', scale=(1, 1),
                                            keep_ratio=False,
                                            interpolation=interpolation,
                                            backend=backend))

    @cache_randomness
    def _random_factor(self) -> float:
        if self.factors is not None:
            return float(self.factors[np.random.randint(len(self.factors))])
        return float(np.random.uniform(*self.ratio_range))

    def transform(self, results: dict) -> dict:
        factor = self._random_factor()
        height, width = results['img'].shape[:2]
        self.resize.scale = (max(1, int(width * factor + 0.5)),
                             max(1, int(height * factor + 0.5)))
        results = self.resize(results)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(ratio_range={self.ratio_range}, '
                f'step={self.step})')
