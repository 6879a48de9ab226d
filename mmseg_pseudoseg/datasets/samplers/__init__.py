"""Samplers for semi-supervised batches."""
from .semi_batch_sampler import SemiBatchSampler

__all__ = ['SemiBatchSampler']
