"""PseudoSeg for MMSegmentation 1.x.

``import mmseg_pseudoseg`` (or ``custom_imports=dict(imports=['mmseg_pseudoseg'])``
in a config) checks the supported versions, applies the compatibility fixes of
:mod:`mmseg_pseudoseg.compat` and registers every component in the mmseg registries.
"""
from . import compat

compat.apply()

from . import (apis, datasets, engine, evaluation, models, utils,  # noqa: E402,F401,I001
               visualization)

__version__ = '0.1.0'
__all__ = ['apis', 'compat', 'datasets', 'engine', 'evaluation', 'models', 'utils',
           'visualization', '__version__']
