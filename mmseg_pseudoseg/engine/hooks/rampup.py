"""Ramp-up schedules for the unsupervised loss weight λ_u (an option, docs/method.md §9).

PseudoSeg's default is no ramp-up (λ_u = 1 from the first step). The sigmoid
schedule is the one of Laine & Aila (2017) and Mean Teacher (Tarvainen & Valpola,
2017): ``exp(-5 (1 - t)^2)`` with ``t = clip(iter / rampup_iters, 0, 1)``.
"""
import math

RAMPUP_MODES = ('sigmoid', 'linear')


def rampup_factor(cur_iter: int, rampup_iters: int, mode: str = 'sigmoid') -> float:
    """Multiplier in [0, 1] for λ_u at iteration ``cur_iter`` (0-based).

    Args:
        cur_iter: the iteration about to run (0 = first step).
        rampup_iters: length of the ramp; ``<= 0`` means no ramp (always 1).
        mode: ``'sigmoid'`` -> ``exp(-5 (1 - t)^2)``; ``'linear'`` -> ``t``,
            with ``t = clip(cur_iter / rampup_iters, 0, 1)``.
    """
    if rampup_iters <= 0:
        return 1.0
    t = min(max(cur_iter / rampup_iters, 0.0), 1.0)
    if mode == 'linear':
        return t
    return math.exp(-5.0 * (1.0 - t) ** 2)
