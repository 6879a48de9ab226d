"""``SemiBaseSegmentor``: what every semi-supervised method of this package shares.

The step reads like MMDetection's ``SemiBaseDetector.loss``: the labelled crops
give the supervised losses (:meth:`loss_by_gt`), the teacher's pass on the weak
view gives pseudo labels (:meth:`get_pseudo_labels`), the student's pass on the
strong view is trained against them (:meth:`loss_by_pseudo_labels`). A method is a
subclass that fills in the last two (or its own :meth:`branch_losses` where its
authors' step differs). The batch format is ``docs/batch_format.md``.

Shared here: the branch batch (a Tensor input is ``EncoderDecoder.loss``), the
teacher (the model itself or its EMA copy, moved by ``EMATeacherHook``), λ_u and
its ramp-up (``UnsupWeightRampUpHook``), the recording for ``PseudoLabelHook``, the
validity maps of the strong view, the finite-loss check, and the test-time model:
``predict`` is ``EncoderDecoder``'s, and every extra parameter or buffer lives
under the class's :attr:`~SemiBaseSegmentor.TRAINING_ONLY_PREFIXES`, which export
strips.
"""
from typing import Dict, Optional, Tuple

from torch import Tensor

from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType, SampleList, add_prefix
from ..pseudo_labels.validity import downsample_valid, validity_of
from ..utils.module_modes import train_mode
from .ema_teacher import EMATeacher
from .finite_loss_check import check_finite_losses
from .semi_train_settings import SemiTrainSettings

__all__ = ['SemiBaseSegmentor']


@MODELS.register_module()
class SemiBaseSegmentor(EncoderDecoder):
    """EncoderDecoder with the shared semi-supervised machinery (no method).

    Args (besides :class:`EncoderDecoder`'s):
        semi_train_cfg (dict): see :attr:`SETTINGS` (:class:`SemiTrainSettings`
            here; a method adds its keys).
        **training_modules: the configs named in :attr:`TRAINING_MODULES`, passed
            to :meth:`build_training_modules` before the EMA teacher copies the
            student.

    Hooks move its state through :meth:`set_unsup_weight`,
    :meth:`record_pseudo_labels` / :meth:`recorded_pseudo_labels`,
    :meth:`init_teacher` and :meth:`update_teacher`.
    """
    # checkpoint prefixes that are not part of the test-time EncoderDecoder
    TRAINING_ONLY_PREFIXES: Tuple[str, ...] = ('ema_teacher.', )
    # config keys of the training-only modules a method builds
    TRAINING_MODULES: Tuple[str, ...] = ()
    SETTINGS = SemiTrainSettings

    def __init__(self, backbone: dict, decode_head: dict, *args,
                 semi_train_cfg: OptConfigType = None, **kwargs):
        modules = {key: kwargs.pop(key) for key in self.TRAINING_MODULES
                   if key in kwargs}
        super().__init__(backbone, decode_head, *args, **kwargs)
        self.semi_train_cfg = self.SETTINGS.from_cfg(semi_train_cfg)
        self.build_training_modules(**modules)
        self.ema_teacher = (EMATeacher(self) if self.semi_train_cfg.teacher == 'ema'
                            else None)
        self._teacher_ready = False
        self.unsup_weight = self.semi_train_cfg.unsup_weight
        self._stash: Optional[dict] = None  # None: not recording

    def build_training_modules(self, **cfgs) -> None:
        """Build the method's training-only modules (none here)."""

    # ------------------------------------------------- what the hooks call
    def set_unsup_weight(self, weight: float) -> None:
        """λ_u of the next steps (``UnsupWeightRampUpHook``)."""
        self.unsup_weight = float(weight)

    def record_pseudo_labels(self, on: bool) -> None:
        """Start (``True``: the next steps fill :meth:`recorded_pseudo_labels`)
        or stop recording and drop what was recorded (``PseudoLabelHook``)."""
        self._stash = {} if on else None

    def recorded_pseudo_labels(self) -> Optional[dict]:
        """The last recorded step (docs/batch_format.md, "Diagnostics"), detached
        raw tensors: ``decoder_logits``, ``sgc_logits`` (None without SGC),
        ``pseudo_label``, ``strong_logits`` ``(Nu, C, h, w)``; ``confidence``,
        ``valid_mask``, ``loss_mask`` ``(Nu, h, w)``; ``weak_samples``. None when
        not recording or no extra images were seen."""
        return self._stash or None

    def init_teacher(self, copy_student: bool) -> None:
        """Make the EMA teacher usable, copying the student into it first for a
        new run (``EMATeacherHook.before_train``)."""
        if copy_student:
            self.ema_teacher.momentum_update(self, 1.0)
        self._teacher_ready = True

    def update_teacher(self, momentum: float) -> None:
        """``teacher ← (1−m)·teacher + m·student`` (``EMATeacherHook``)."""
        self.ema_teacher.momentum_update(self, momentum)

    # ------------------------------------------------------------------ loss
    def loss(self, inputs, data_samples) -> Dict[str, Tensor]:
        """Losses of one step: a Tensor gives ``EncoderDecoder.loss``; a dict of
        branches ``sup`` / ``weak`` / ``strong`` gives :meth:`branch_losses`,
        checked finite before the optimizer sees them."""
        if not isinstance(inputs, dict):
            return super().loss(inputs, data_samples)
        losses = self.branch_losses(inputs, data_samples)
        check_finite_losses(losses, data_samples)
        return losses

    def branch_losses(self, inputs: dict, data_samples: dict) -> dict:
        """``sup.*`` from the labelled crops, then the pseudo labels of the weak
        view and the losses of the strong view against them."""
        losses = {}
        if 'sup' in inputs:
            losses.update(self.loss_by_gt(inputs['sup'], data_samples['sup']))
        if 'weak' in inputs:
            pseudo = self.get_pseudo_labels(inputs, data_samples)
            losses.update(self.loss_by_pseudo_labels(inputs, data_samples, pseudo))
        return losses

    def loss_by_gt(self, inputs: Tensor, samples: SampleList) -> dict:
        """``sup.*``: decode (and auxiliary) head losses on the labelled crops."""
        return self.sup_losses(self._features(self, inputs)[1], samples)

    def sup_losses(self, feats, samples: SampleList) -> dict:
        """``sup.*`` from the (neck) features ``feats`` of the labelled crops."""
        losses = self._decode_head_forward_train(feats, samples)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(feats, samples))
        return add_prefix(losses, 'sup')

    def get_pseudo_labels(self, inputs: dict, data_samples: dict):
        """The teacher's targets for the extra images (a method's own)."""
        raise NotImplementedError(f'{type(self).__name__} makes no pseudo labels')

    def loss_by_pseudo_labels(self, inputs: dict, data_samples: dict,
                              pseudo) -> dict:
        """``unsup.*``: the strong view against ``pseudo`` (a method's own)."""
        raise NotImplementedError(f'{type(self).__name__} has no unlabelled loss')

    # --------------------------------------------------------------- teacher
    def teacher(self):
        """The model of the weak pass: this one, or its EMA teacher."""
        if self.ema_teacher is None:
            return self
        if not self._teacher_ready:
            raise RuntimeError("semi_train_cfg.teacher='ema' needs EMATeacherHook to "
                               'initialise the teacher.\nAdd custom_hooks=[dict(type='
                               "'EMATeacherHook', momentum=0.001)] to the config.")
        return self.ema_teacher

    def weak_logits(self, teacher, weak: Tensor):
        """``(backbone stages, decoder logits (Nu, C, h, w))`` of the weak view,
        BN and dropout in ``semi_train_cfg.weak_mode``."""
        heads = [teacher.backbone, getattr(teacher, 'neck', None),
                 teacher.decode_head]
        with train_mode(heads, self.semi_train_cfg.weak_mode == 'train'):
            stages, feats = self._features(teacher, weak)
            return stages, teacher.decode_head.forward(feats)

    # --------------------------------------------------------------- helpers
    def full_logits(self, model, inputs: Tensor) -> Tensor:
        """Decoder logits ``(N, C, H, W)`` of ``model`` on ``inputs``, resized
        (bilinear, ``decode_head.align_corners``) to the input size, where the
        baselines' codes compute their unlabelled losses (and mmseg its L_s)."""
        logits = model.decode_head.forward(self._features(model, inputs)[1])
        return self.resized(logits, inputs.shape[-2:])

    def resized(self, logits: Tensor, size) -> Tensor:
        """``logits`` resized to ``size`` as mmseg's decode-head loss does."""
        return resize(logits, size=tuple(size), mode='bilinear',
                      align_corners=self.align_corners)

    def strong_validity(self, strong_samples: SampleList, size=None) -> Tensor:
        """``(Nu, h, w)`` bool validity of the strong view (``gt_sem_seg == 0``),
        brought to ``size`` with ``semi_train_cfg.valid_downsample``."""
        valid = validity_of(strong_samples)
        if size is None:
            return valid
        return downsample_valid(valid, size, self.semi_train_cfg.valid_downsample)

    def _record(self, **tensors) -> None:
        if self._stash is not None:
            self._stash.update({k: v.detach() if isinstance(v, Tensor) else v
                                for k, v in tensors.items()})

    @staticmethod
    def _stages(model, inputs: Tensor) -> tuple:
        """Backbone outputs of ``model`` (the segmentor or its EMA teacher)."""
        return model.backbone(inputs)

    @classmethod
    def _features(cls, model, inputs: Tensor):
        """``(backbone stages, neck outputs)`` of ``model``."""
        stages = cls._stages(model, inputs)
        neck = getattr(model, 'neck', None)
        return stages, (neck(stages) if neck is not None else stages)
