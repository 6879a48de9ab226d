"""Data preprocessors."""
from .semi_seg_data_preprocessor import SemiSegDataPreProcessor

__all__ = ['SemiSegDataPreProcessor']
