"""``semi_train_cfg`` of :class:`PseudoSeg`, validated once into one object.

Keys (defaults are the released code's behaviour, ``docs/method.md`` §9):

- ``unsup_weight`` (1.0): λ_u at the start of training. ``UnsupWeightRampUpHook``
  may scale the model's current ``unsup_weight`` over training.
- ``use_image_labels`` (False): image-level mode; the strong samples carry
  ``gt_image_labels`` (``(C-1,)`` multi-hot) used for the CAM and L_x.
- ``weak_mode`` ('train'): BN/dropout mode of the weak pass that gives the decoder
  logits of the pseudo label, ``'train'`` (released code) | ``'eval'``.
- ``cam_pass`` ('eval'): where the classifier's class prediction, the Grad-CAM and
  the SGC's key/query hypercolumn of the extra images come from. ``'eval'``
  (released code): one more no-grad backbone pass in inference mode (BN running
  statistics, no dropout); ``'shared'``: the features of the weak pass above.
- ``classifier_views`` (None): the branches whose images train the classifier
  (L_x). None = the released choice: ``('weak',)`` in image-level mode (the extra
  images' weak view, a training-mode pass), ``('sup',)`` otherwise (labelled crops,
  their classes read from the label maps). ``('strong', 'sup')`` is the other
  image-level reading (strong view plus labelled crops).
- ``valid_downsample`` ('nearest'): how the strong validity map reaches the
  decoder-logit resolution, ``'nearest'`` (released code) | ``'any'`` (a logit
  pixel is invalid if any input pixel under it is).
- ``class_threshold`` (0.5): without image-level labels, the classes of an extra
  image's CAM are those with classifier probability ``sigmoid(s_c) >=`` it
  (released: 0.5, marked there as a value to tune). A lower value keeps classes
  that a weak classifier (trained on few labelled crops) scores low.
- ``teacher`` ('student'): the weak pass runs on the current model, or ``'ema'``:
  on an exponential moving average of it (the ``ema_teacher`` submodule, moved by
  ``EMATeacherHook``).
"""
from dataclasses import dataclass, fields
from typing import Optional, Tuple

from ..pseudo_labels.validity import check_valid_downsample

BRANCHES = ('sup', 'weak', 'strong')
CHOICES = dict(weak_mode=('train', 'eval'), cam_pass=('eval', 'shared'),
               teacher=('student', 'ema'))


@dataclass(frozen=True)
class SemiTrainSettings:
    """The validated ``semi_train_cfg`` (see the module docstring)."""
    unsup_weight: float = 1.0
    use_image_labels: bool = False
    weak_mode: str = 'train'
    cam_pass: str = 'eval'
    classifier_views: Optional[Tuple[str, ...]] = None
    valid_downsample: str = 'nearest'
    class_threshold: float = 0.5
    teacher: str = 'student'

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
        for key, choices in CHOICES.items():
            if key in cfg and cfg[key] not in choices:
                raise ValueError(f'semi_train_cfg.{key} must be one of {choices}, '
                                 f'got {cfg[key]!r}')
        check_valid_downsample(cfg.get('valid_downsample', 'nearest'),
                               'semi_train_cfg.valid_downsample')
        cfg['unsup_weight'] = float(cfg.get('unsup_weight', 1.0))
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
        return cls(**cfg)
