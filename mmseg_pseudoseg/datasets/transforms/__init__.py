"""Transforms of the semi-supervised pipelines (docs/method.md §5, docs/batch_format.md)."""
from .cutmix_box import RandomCutMixBox
from .gaussian_blur import RandomGaussianBlur
from .image_level_labels import ImageLevelLabels, labels_from_mask
from .multi_view import MultiView
from .packing import PackSemiSegInputs
from .padded_cutout import PaddedCutOut
from .pil_color_jitter import PILColorJitter
from .random_scale_step import RandomScaleStep
from .sample_checks import CheckFiniteImage, CheckSegMap, SampleLoadError
from .strong_color_jitter import (StrongColorJitter, adjust_brightness,
                                  adjust_contrast, adjust_saturation_hue,
                                  to_grayscale)
from .validity_map import GenerateValidityMap

__all__ = ['CheckFiniteImage', 'CheckSegMap', 'GenerateValidityMap',
           'ImageLevelLabels', 'MultiView', 'PackSemiSegInputs', 'PaddedCutOut',
           'PILColorJitter', 'RandomCutMixBox', 'RandomGaussianBlur',
           'RandomScaleStep', 'SampleLoadError', 'StrongColorJitter',
           'adjust_brightness', 'adjust_contrast', 'adjust_saturation_hue',
           'labels_from_mask', 'to_grayscale']
