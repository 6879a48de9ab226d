"""Segmentors: the shared semi-supervised base, PseudoSeg (docs/method.md §1-§4)
and its EMA teacher."""
from .ema_teacher import EMATeacher
from .pseudoseg import PseudoSeg
from .semi_base import SemiBaseSegmentor
from .semi_train_settings import PseudoSegTrainSettings, SemiTrainSettings
from .training_only import TRAINING_ONLY_PREFIXES, training_only_prefixes

__all__ = ['EMATeacher', 'PseudoSeg', 'PseudoSegTrainSettings', 'SemiBaseSegmentor',
           'SemiTrainSettings', 'TRAINING_ONLY_PREFIXES', 'training_only_prefixes']
