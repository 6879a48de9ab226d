"""``RandomGaussianBlur``: UniMatch's strong-view blur (``dataset/transform.py``,
``blur``): with probability ``prob`` (0.5) a Gaussian blur of standard deviation
``σ ~ U(0.1, 2.0)`` pixels. The code calls PIL's ``ImageFilter.GaussianBlur(
radius=σ)``, whose ``radius`` is the standard deviation (PIL approximates the
Gaussian with three box passes); here OpenCV's Gaussian kernel of the same σ
(kernel size from σ, reflected borders). Draws from numpy's global generator.
"""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

__all__ = ['RandomGaussianBlur']


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """Blur ``img`` with probability ``prob``, ``σ ~ U(sigma_range)``.

    Args:
        prob (float): chance of a blur. Defaults to 0.5.
        sigma_range (tuple[float, float]): σ range in pixels. Defaults to
            (0.1, 2.0).

    Modified key: ``img``.
    """

    def __init__(self, prob: float = 0.5, sigma_range=(0.1, 2.0)) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'RandomGaussianBlur: prob must be in [0, 1], got {prob}')
        low, high = (float(v) for v in sigma_range)
        if not 0.0 < low <= high:
            raise ValueError('RandomGaussianBlur: sigma_range must be (low, high) with '
                             f'0 < low <= high, got {tuple(sigma_range)}')
        self.prob = float(prob)
        self.sigma_range = (low, high)

    @cache_randomness
    def _sigma(self):
        if np.random.rand() >= self.prob:
            return None
        return float(np.random.uniform(*self.sigma_range))

    def transform(self, results: dict) -> dict:
        sigma = self._sigma()
        if sigma is not None:
            results['img'] = cv2.GaussianBlur(results['img'], (0, 0), sigmaX=sigma,
                                              sigmaY=sigma,
                                              borderType=cv2.BORDER_REFLECT_101)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'sigma_range={self.sigma_range})')
