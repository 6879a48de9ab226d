"""Segmentors: PseudoSeg (docs/method.md §1-§4) and its EMA teacher."""
from .ema_teacher import EMATeacher
from .pseudoseg import TRAINING_ONLY_PREFIXES, PseudoSeg
from .semi_train_settings import SemiTrainSettings

__all__ = ['EMATeacher', 'PseudoSeg', 'SemiTrainSettings', 'TRAINING_ONLY_PREFIXES']
