"""PseudoSeg: semi-supervised EncoderDecoder with calibrated soft pseudo labels.

Objective ``L = L_s + λ_u·L_u + L_x + L_sa`` (paper Sec. 3, docs/method.md §1),
the SGC through :class:`~mmseg_pseudoseg.models.heads.SGCHead` and the pseudo label
through :class:`~mmseg_pseudoseg.models.pseudo_labels.CalibratedFusion`. The batch
format is ``docs/batch_format.md``.
"""
from typing import Dict, NamedTuple, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType, SampleList, add_prefix
from ..pseudo_labels.consistency_loss import soft_cross_entropy
from ..pseudo_labels.validity import downsample_valid, padding_valid_mask, validity_of
from ..utils.module_modes import train_mode
from .build_checks import check_pseudoseg_parts, with_num_classes
from .ema_teacher import EMATeacher
from .finite_loss_check import check_finite_losses
from .sample_fields import image_labels_of, label_maps
from .semi_train_settings import SemiTrainSettings

# Checkpoint prefixes that are not part of the test-time EncoderDecoder.
TRAINING_ONLY_PREFIXES = ('sgc_head.', 'ema_teacher.')


class PseudoLabels(NamedTuple):
    """What the weak pass hands to the strong pass (docs/method.md §4)."""
    label: Tensor  # (Nu, C, h, w) float32 pseudo label at the decoder-logit size
    confidence: Tensor  # (Nu, h, w) its confidence
    valid: Tensor  # (Nu, H, W) bool validity of the strong view (input size)
    image_labels: Optional[Tensor]  # (Nu, C-1) given classes (image-level mode)


@MODELS.register_module()
class PseudoSeg(EncoderDecoder):
    """EncoderDecoder trained with PseudoSeg (paper Sec. 3, docs/method.md §1-§4).

    ``predict``, ``_forward``, ``encode_decode`` and ``inference`` are inherited:
    at test time this *is* the wrapped EncoderDecoder. Every extra parameter and
    buffer lives under :data:`TRAINING_ONLY_PREFIXES`.

    Args (besides :class:`EncoderDecoder`'s):
        sgc_head (dict, optional): :class:`SGCHead` config (``num_classes``
            defaults to the decode head's; it reads the *backbone* outputs).
            Without it there is no L_x / L_sa and the pseudo label must come from
            the decoder (``pseudo_labeler.source='decoder'``).
        pseudo_labeler (dict): :class:`CalibratedFusion` config.
        semi_train_cfg (dict): see :class:`SemiTrainSettings`.

    ``loss(inputs, data_samples)``: a Tensor gives ``EncoderDecoder.loss``; a dict
    of branches ``sup`` / ``weak`` / ``strong`` gives ``sup.*`` (decode and aux
    heads), ``sgc.loss_sa``, ``cls.loss_cls``, ``unsup.loss_u`` and statistics
    ``sgc.acc_sa``, ``cls.acc``, ``unsup.pseudo_conf``, ``unsup.valid_ratio``,
    ``unsup.confident_ratio``. Hooks move its state through
    :meth:`set_unsup_weight`, :meth:`record_pseudo_labels` /
    :meth:`recorded_pseudo_labels`, :meth:`init_teacher` and :meth:`update_teacher`.
    """

    def __init__(self, backbone: dict, decode_head: dict, *args,
                 sgc_head: OptConfigType = None, pseudo_labeler: OptConfigType = None,
                 semi_train_cfg: OptConfigType = None, **kwargs):
        super().__init__(backbone, decode_head, *args, **kwargs)
        self.semi_train_cfg = SemiTrainSettings.from_cfg(semi_train_cfg)
        self.sgc_head = None if sgc_head is None else MODELS.build(
            with_num_classes(sgc_head, 'sgc_head', self.num_classes))
        self.pseudo_labeler = MODELS.build(with_num_classes(
            pseudo_labeler or dict(type='CalibratedFusion'), 'pseudo_labeler',
            self.num_classes))
        check_pseudoseg_parts(self)
        self.ema_teacher = (EMATeacher(self) if self.semi_train_cfg.teacher == 'ema'
                            else None)
        self._teacher_ready = False
        self.unsup_weight = self.semi_train_cfg.unsup_weight
        self._stash: Optional[dict] = None  # None: not recording

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
        """Losses of one step (see the class docstring for the two input forms)."""
        if not isinstance(inputs, dict):
            return super().loss(inputs, data_samples)
        losses, cls_inputs = {}, {}
        if 'sup' in inputs:
            sup_losses, cls_inputs['sup'] = self.loss_by_gt(inputs['sup'],
                                                            data_samples['sup'])
            losses.update(sup_losses)
        if 'weak' in inputs:
            pseudo = self.get_pseudo_labels(inputs['weak'], data_samples['weak'],
                                            data_samples['strong'])
            unsup_losses, cls_inputs['strong'] = self.loss_by_pseudo_labels(
                inputs['strong'], pseudo)
            losses.update(unsup_losses)
            cls_inputs['weak'] = self._classify_weak(inputs['weak'], pseudo)
        losses.update(self.loss_by_image_labels(cls_inputs))
        check_finite_losses(losses, data_samples)
        return losses

    def loss_by_gt(self, inputs: Tensor, samples: SampleList):
        """L_s (+aux) and L_sa on the labelled crops; returns ``(losses, L_x
        inputs or None)``. L_sa and L_x read the training-mode pass of L_s (the
        released code's ``seg_data_cls``, train_wss.py lines 637-702)."""
        stages, feats = self._features(self, inputs)
        losses = self._decode_head_forward_train(feats, samples)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(feats, samples))
        losses = add_prefix(losses, 'sup')
        if self.sgc_head is None:
            return losses, None
        gt, ignore = label_maps(samples), self.decode_head.ignore_index
        labels = self.sgc_head.labels_from_seg(gt, ignore)
        valid = padding_valid_mask([s.metainfo for s in samples], inputs.shape[-2:],
                                   inputs.device)
        sgc_logits = self.sgc_head(stages, labels, valid)
        losses.update(add_prefix(self.sgc_head.loss_sa(sgc_logits, gt, ignore), 'sgc'))
        in_views = 'sup' in self.semi_train_cfg.classifier_views
        return losses, self._class_inputs(stages, labels) if in_views else None

    @torch.no_grad()
    def get_pseudo_labels(self, weak: Tensor, weak_samples: SampleList,
                          strong_samples: SampleList) -> PseudoLabels:
        """The weak pass (no autograd graph): teacher, weak logits, SGC logits,
        fusion (docs/method.md §4)."""
        teacher = self.teacher()
        valid = validity_of(strong_samples)
        image_labels = (image_labels_of(strong_samples, weak.device)
                        if self.semi_train_cfg.use_image_labels else None)
        stages, decoder_logits = self.weak_logits(teacher, weak)
        sgc_logits = None
        if teacher.sgc_head is not None and (self.pseudo_labeler.needs_sgc
                                             or self._stash is not None):
            sgc_logits = self.sgc_logits(teacher, weak, stages, image_labels, valid,
                                         decoder_logits.shape[-2:])
        label, confidence = self.pseudo_labeler(decoder_logits, sgc_logits)
        self._record(decoder_logits=decoder_logits, sgc_logits=sgc_logits,
                     pseudo_label=label, confidence=confidence,
                     weak_samples=weak_samples)
        return PseudoLabels(label, confidence, valid, image_labels)

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
        BN and dropout in ``weak_mode``."""
        heads = [teacher.backbone, getattr(teacher, 'neck', None),
                 teacher.decode_head]
        with train_mode(heads, self.semi_train_cfg.weak_mode == 'train'):
            stages, feats = self._features(teacher, weak)
            return stages, teacher.decode_head.forward(feats)

    def sgc_logits(self, teacher, weak: Tensor, stages, image_labels, valid: Tensor,
                   size) -> Tensor:
        """SGC logits ``(Nu, C, h, w)`` resized to the decoder logits' ``size``.
        With ``cam_pass='eval'`` the classes, Grad-CAM and hypercolumn come from
        one more backbone pass in inference mode (train_wss.py lines 373-425)."""
        cfg = self.semi_train_cfg
        if cfg.cam_pass == 'eval' and cfg.weak_mode == 'train':
            with train_mode([teacher.backbone], False):
                stages = self._stages(teacher, weak)
        if image_labels is None:
            image_labels = (teacher.sgc_head.classify(stages, dropout=False).sigmoid()
                            >= cfg.class_threshold).float()
        logits = teacher.sgc_head(stages, image_labels, valid)
        # bilinear, align_corners=True by default: train_wss.py lines 417-420
        return F.interpolate(logits, size=size, mode='bilinear',
                             align_corners=teacher.sgc_head.align_corners)

    def loss_by_pseudo_labels(self, strong: Tensor, pseudo: PseudoLabels):
        """λ_u·L_u of the strong view against the pseudo label (``unsup.*``);
        returns ``(losses, L_x inputs or None)``."""
        stages, feats = self._features(self, strong)
        logits = self.decode_head.forward(feats)
        valid = downsample_valid(pseudo.valid, logits.shape[-2:],
                                 self.semi_train_cfg.valid_downsample)
        loss_mask = valid & (pseudo.confidence >= self.pseudo_labeler.threshold)
        loss_u = soft_cross_entropy(logits, pseudo.label, loss_mask, valid)
        self._record(valid_mask=valid, loss_mask=loss_mask,
                     strong_logits=logits.detach())
        n_valid = valid.sum().clamp_min(1)  # statistics: no graph (pseudo is none)
        losses = dict(loss_u=self.unsup_weight * loss_u,
                      pseudo_conf=(pseudo.confidence * valid).sum() / n_valid,
                      valid_ratio=valid.float().mean(),
                      confident_ratio=loss_mask.sum() / n_valid)
        if 'strong' not in self.semi_train_cfg.classifier_views:
            return add_prefix(losses, 'unsup'), None
        return add_prefix(losses, 'unsup'), self._class_inputs(stages,
                                                                pseudo.image_labels)

    def loss_by_image_labels(self, cls_inputs: Dict[str, Optional[tuple]]) -> dict:
        """L_x over the ``(logits, labels)`` of the classifier views (``cls.*``)."""
        parts = [part for part in cls_inputs.values() if part is not None]
        if not parts:
            return {}
        logits, labels = (torch.cat(t) for t in zip(*parts))
        return add_prefix(self.sgc_head.loss_cls(logits, labels), 'cls')

    # --------------------------------------------------------------- helpers
    def _classify_weak(self, weak: Tensor, pseudo: PseudoLabels):
        """L_x inputs of the weak view from its own training-mode pass with grad
        (released ``cls_with_cls=True``: train_wss.py lines 306-342), or None."""
        if 'weak' not in self.semi_train_cfg.classifier_views:
            return None
        return self._class_inputs(self._stages(self, weak), pseudo.image_labels)

    def _class_inputs(self, stages, labels: Tensor):
        """(classifier logits with dropout, labels) for L_x."""
        return self.sgc_head.classify(stages), labels

    def _record(self, **tensors) -> None:
        if self._stash is not None:
            self._stash.update({k: v.detach() if isinstance(v, Tensor) else v
                                for k, v in tensors.items()})

    @staticmethod
    def _stages(model, inputs: Tensor) -> tuple:
        """Backbone outputs of ``model`` (the segmentor or its EMA teacher)."""
        stages = model.backbone(inputs)
        sgc_head = getattr(model, 'sgc_head', None)
        return stages if sgc_head is None else sgc_head.check_inputs(stages)

    @classmethod
    def _features(cls, model, inputs: Tensor):
        """``(backbone stages, neck outputs)`` of ``model``."""
        stages = cls._stages(model, inputs)
        neck = getattr(model, 'neck', None)
        return stages, (neck(stages) if neck is not None else stages)
