"""Segmentors: the shared semi-supervised base, PseudoSeg (docs/method.md §1-§4),
the baselines (docs/methods.md) and the EMA teacher."""
from .cutmix_seg import CutMixSeg
from .ema_teacher import EMATeacher
from .fixmatch import FixMatch, FixMatchSettings
from .mean_teacher import MeanTeacher, MeanTeacherSettings
from .pseudoseg import PseudoSeg
from .semi_base import SemiBaseSegmentor
from .semi_train_settings import PseudoSegTrainSettings, SemiTrainSettings
from .unimatch import UniMatch
# after every segmentor: the union of their training-only prefixes
from .training_only import TRAINING_ONLY_PREFIXES, training_only_prefixes

__all__ = ['CutMixSeg', 'EMATeacher', 'FixMatch', 'FixMatchSettings', 'MeanTeacher',
           'MeanTeacherSettings', 'PseudoSeg', 'PseudoSegTrainSettings',
           'SemiBaseSegmentor', 'SemiTrainSettings', 'TRAINING_ONLY_PREFIXES',
           'UniMatch', 'training_only_prefixes']
