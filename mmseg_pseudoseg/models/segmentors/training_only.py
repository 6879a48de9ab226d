"""The checkpoint prefixes that are not part of the test-time EncoderDecoder.

Each segmentor class declares its own (``SemiBaseSegmentor.TRAINING_ONLY_PREFIXES``);
export strips those of the model's class, or the union over every segmentor of
this package when the class is not known.
"""
from typing import Optional, Tuple

from mmseg.registry import MODELS
from .pseudoseg import PseudoSeg
from .semi_base import SemiBaseSegmentor


def _subclasses(cls) -> list:
    found = []
    for sub in cls.__subclasses__():
        found += [sub] + _subclasses(sub)
    return found


def training_only_prefixes(model_type: Optional[str] = None) -> Tuple[str, ...]:
    """The training-only prefixes of segmentor ``model_type`` (a registered name;
    ``()`` for a stock one), or the union over this package's segmentors (first
    seen first) when ``model_type`` is None."""
    if model_type is not None:
        cls = MODELS.get(model_type)
        return tuple(getattr(cls, 'TRAINING_ONLY_PREFIXES', ()))
    union = []
    for cls in [PseudoSeg] + _subclasses(SemiBaseSegmentor):
        union += [p for p in cls.TRAINING_ONLY_PREFIXES if p not in union]
    return tuple(union)


# every segmentor's prefixes (PseudoSeg's first): ('sgc_head.', 'ema_teacher.')
TRAINING_ONLY_PREFIXES = training_only_prefixes()
