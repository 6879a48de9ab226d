"""Pseudo labels (SPEC §2, §4): calibrated fusion, closed-form Grad-CAM, L_u."""
from .calibrated_fusion import (CalibratedFusion, calibrated_fusion, check_finite,
                                logit_norm, sharpen)
from .consistency_loss import (downsample_valid, padding_valid_mask,
                               soft_cross_entropy)
from .grad_cam import grad_cam

__all__ = [
    'CalibratedFusion', 'calibrated_fusion', 'check_finite', 'logit_norm',
    'sharpen', 'grad_cam', 'soft_cross_entropy', 'downsample_valid',
    'padding_valid_mask'
]
