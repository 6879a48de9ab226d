"""Training hooks, one job each: ``PseudoLabelHook`` (pseudo-label diagnostics),
``UnsupWeightRampUpHook`` (λ_u ramp-up), ``EMATeacherHook`` (EMA teacher),
``ClassCountCheckHook`` (dataset vs model classes before training),
``RNGStateHook`` (random-generator states in checkpoints, for exact resume),
``UnreadableImageHook`` (the run's list of extra images skipped as unreadable)."""
from .class_count_check_hook import ClassCountCheckHook
from .ema_teacher_hook import EMATeacherHook
from .pseudo_label_hook import PseudoLabelHook
from .pseudo_label_panel import PANEL_TITLES, compose_panel
from .pseudo_label_stats import format_histogram, pseudo_label_stats
from .rampup import rampup_factor
from .rng_state_hook import RNGStateHook
from .unreadable_image_hook import UnreadableImageHook
from .unsup_weight_rampup_hook import UnsupWeightRampUpHook

__all__ = [
    'ClassCountCheckHook', 'EMATeacherHook', 'PseudoLabelHook', 'PANEL_TITLES',
    'RNGStateHook', 'UnreadableImageHook', 'UnsupWeightRampUpHook', 'compose_panel',
    'format_histogram', 'pseudo_label_stats', 'rampup_factor'
]
