"""Unlabelled losses of the baseline methods (docs/methods.md)."""
from .semi_losses import masked_hard_cross_entropy, probability_squared_error

__all__ = ['masked_hard_cross_entropy', 'probability_squared_error']
