"""Heads: the self-attention Grad-CAM head (docs/method.md §1-3)."""
from .sgc_head import SGCHead, resolve_stage_index

__all__ = ['SGCHead', 'resolve_stage_index']
