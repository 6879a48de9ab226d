"""``semi_train_cfg`` of the semi-supervised segmentors, validated once into one
object: :class:`SemiTrainSettings` (every method) and
:class:`PseudoSegTrainSettings` (PseudoSeg's own keys on top).

Shared keys (:class:`SemiTrainSettings`):

- ``unsup_weight`` (1.0): λ_u at the start of training. ``UnsupWeightRampUpHook``
  may scale the model's current ``unsup_weight`` over training.
- ``weak_mode`` ('train'): BN/dropout mode of the teacher's pass on the weak view,
  ``'train'`` (PseudoSeg's released code; CutMix-Seg's teacher) | ``'eval'``.
- ``valid_downsample`` ('nearest'): how a full-resolution validity map reaches a
  lower logit resolution, ``'nearest'`` (released code) | ``'any'`` (a logit pixel
  is invalid if any input pixel under it is).
- ``teacher`` ('student'): the weak pass runs on the current model, or ``'ema'``:
  on an exponential moving average of it (the ``ema_teacher`` submodule, moved by
  ``EMATeacherHook``). A method may choose another default.

PseudoSeg keys (:class:`PseudoSegTrainSettings`, defaults are the released code's
behaviour, ``docs/method.md`` §9):

- ``use_image_labels`` (False): image-level mode; the strong samples carry
  ``gt_image_labels`` (``(C-1,)`` multi-hot) used for the CAM and L_x.
- ``cam_pass`` ('eval'): where the classifier's class prediction, the Grad-CAM and
  the SGC's key/query hypercolumn of the extra images come from. ``'eval'``
  (released code): one more no-grad backbone pass in inference mode (BN running
  statistics, no dropout); ``'shared'``: the features of the weak pass above.
- ``classifier_views`` (None): the branches whose images train the classifier
  (L_x). None = the released choice: ``('weak',)`` in image-level mode (the extra
  images' weak view, a training-mode pass), ``('sup',)`` otherwise (labelled crops,
  their classes read from the label maps). ``('strong', 'sup')`` is the other
  image-level reading (strong view plus labelled crops).
- ``class_threshold`` (0.5): without image-level labels, the classes of an extra
  image's CAM are those with classifier probability ``sigmoid(s_c) >=`` it
  (released: 0.5, marked there as a value to tune). A lower value keeps classes
  that a weak classifier (trained on few labelled crops) scores low.
"""
from dataclasses import dataclass, fields
from typing import Optional, Tuple

from ..pseudo_labels.validity import check_valid_downsample

BRANCHES = ('sup', 'weak', 'strong')


@dataclass(frozen=True)
class SemiTrainSettings:
    """The validated shared ``semi_train_cfg`` (see the module docstring)."""
    unsup_weight: float = 1.0
    weak_mode: str = 'train'
    valid_downsample: str = 'nearest'
    teacher: str = 'student'

    CHOICES = dict(weak_mode=('train', 'eval'), teacher=('student', 'ema'))

    @classmethod
    def from_cfg(cls, cfg: Optional[dict]) -> 'SemiTrainSettings':
        """Validate ``cfg`` (a dict or None) and fill in the defaults."""
        cfg = dict(cfg or {})
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(cfg) - set(known))
        if unknown:
            raise ValueError(f'Unknown semi_train_cfg keys {unknown}; known: '
                             f'{sorted(known)}.\nRemove or rename them in the '
                             'model config.')
        for key, choices in cls.CHOICES.items():
            if key in cfg and cfg[key] not in choices:
                raise ValueError(f'semi_train_cfg.{key} must be one of {choices}, '
                                 f'got {cfg[key]!r}')
        return cls(**cls.checked(cfg))

    @classmethod
    def checked(cls, cfg: dict) -> dict:
        """``cfg`` with the values checked and normalised (keys known)."""
        check_valid_downsample(cfg.get('valid_downsample', 'nearest'),
                               'semi_train_cfg.valid_downsample')
        cfg['unsup_weight'] = float(cfg.get('unsup_weight', 1.0))
        return cfg


@dataclass(frozen=True)
class PseudoSegTrainSettings(SemiTrainSettings):
    """The validated ``semi_train_cfg`` of PseudoSeg (see the module docstring)."""
    use_image_labels: bool = False
    cam_pass: str = 'eval'
    classifier_views: Optional[Tuple[str, ...]] = None
    class_threshold: float = 0.5

    CHOICES = dict(weak_mode=('train', 'eval'), cam_pass=('eval', 'shared'),
                   teacher=('student', 'ema'))

    @classmethod
    def checked(cls, cfg: dict) -> dict:
        cfg = super().checked(cfg)
        cfg['use_image_labels'] = bool(cfg.get('use_image_labels', False))
        cfg['class_threshold'] = float(cfg.get('class_threshold', 0.5))
        if not 0.0 < cfg['class_threshold'] <= 1.0:
            raise ValueError('semi_train_cfg.class_threshold must be in (0, 1], got '
                             f"{cfg['class_threshold']}")
        views = cfg.get('classifier_views')
        if views is None:  # released code: train_wss.py lines 306-312 and 695-702
            views = ('weak', ) if cfg['use_image_labels'] else ('sup', )
        views = (views, ) if isinstance(views, str) else tuple(views)
        bad = [v for v in views if v not in BRANCHES]
        if bad or not views:
            raise ValueError(f'semi_train_cfg.classifier_views must name branches '
                             f'of {BRANCHES}, got {views!r}')
        if not cfg['use_image_labels'] and views != ('sup', ):
            raise ValueError(
                f'semi_train_cfg.classifier_views={views!r} needs image labels of '
                "the extra images; without use_image_labels=True only ('sup',) "
                'is possible')
        cfg['classifier_views'] = views
        return cfg


def checked_conf_thresh(cfg: dict, default: float) -> float:
    """``semi_train_cfg.conf_thresh`` of a baseline (``default`` when absent),
    checked to be in [0, 1]."""
    value = float(cfg.get('conf_thresh', default))
    if not 0.0 <= value <= 1.0:
        raise ValueError(f'semi_train_cfg.conf_thresh must be in [0, 1], got {value}')
    return value
