"""Backbones not in mmseg: DeepLab's aligned Xception-65 (timm names)."""
from .xception65 import Xception65

__all__ = ['Xception65']
