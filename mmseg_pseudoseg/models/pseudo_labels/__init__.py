"""Pseudo labels (docs/method.md §1-§4): calibrated fusion, closed-form Grad-CAM,
validity maps, L_u."""
from .calibrated_fusion import (CalibratedFusion, calibrated_fusion, check_fusion_args,
                                logit_norm, sharpen)
from .consistency_loss import soft_cross_entropy
from .grad_cam import grad_cam
from .validity import (check_valid_downsample, downsample_valid, padding_valid_mask,
                       validity_of)

__all__ = [
    'CalibratedFusion', 'calibrated_fusion', 'check_fusion_args', 'logit_norm',
    'sharpen', 'grad_cam', 'soft_cross_entropy', 'check_valid_downsample',
    'downsample_valid', 'padding_valid_mask', 'validity_of'
]
