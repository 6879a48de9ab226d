"""Training hooks: ``PseudoLabelHook`` (pseudo-label diagnostics, λ_u ramp-up)."""
from .pseudo_label_hook import PseudoLabelHook
from .pseudo_label_panel import PANEL_TITLES, colorize, compose_panel
from .pseudo_label_stats import format_histogram, pseudo_label_stats
from .rampup import rampup_factor
from .rng_state_hook import RNGStateHook

__all__ = [
    'PseudoLabelHook', 'RNGStateHook', 'PANEL_TITLES', 'colorize', 'compose_panel',
    'format_histogram', 'pseudo_label_stats', 'rampup_factor'
]
