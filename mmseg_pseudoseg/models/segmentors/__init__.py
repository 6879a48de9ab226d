"""Segmentors: PseudoSeg (SPEC §1-4)."""
from .pseudoseg import PseudoSeg

__all__ = ['PseudoSeg']
