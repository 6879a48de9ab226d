"""Small helpers of the models."""
from .module_modes import train_mode

__all__ = ['train_mode']
