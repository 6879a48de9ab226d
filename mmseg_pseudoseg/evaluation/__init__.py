"""Evaluation: calibration (ECE) functions and the ``CalibrationMetric``."""
from .calibration import (calibration_bins, confidences_and_correct,
                          ece_from_bins, expected_calibration_error,
                          load_reliability, merge_bins, reliability_table)
from .calibration_metric import CalibrationMetric

__all__ = [
    'CalibrationMetric', 'calibration_bins', 'confidences_and_correct',
    'ece_from_bins', 'expected_calibration_error', 'load_reliability',
    'merge_bins', 'reliability_table'
]
