"""Small helpers of the models."""
from .cutmix import box_masks, cutmix, partner, paste
from .module_modes import train_mode

__all__ = ['box_masks', 'cutmix', 'partner', 'paste', 'train_mode']
