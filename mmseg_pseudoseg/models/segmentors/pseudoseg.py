"""PseudoSeg: semi-supervised EncoderDecoder with calibrated soft pseudo labels.

Objective ``L = L_s + λ_u·L_u + L_x + L_sa`` (paper Sec. 3, docs/method.md §1),
the SGC through :class:`~mmseg_pseudoseg.models.heads.SGCHead` and the pseudo label
through :class:`~mmseg_pseudoseg.models.pseudo_labels.CalibratedFusion`. The batch
format is ``docs/batch_format.md``; what every method shares (teacher, λ_u, the
recording, the finite-loss check) is :class:`SemiBaseSegmentor`.
"""
from typing import Dict, NamedTuple, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import OptConfigType, SampleList, add_prefix
from ..pseudo_labels.consistency_loss import soft_cross_entropy
from ..pseudo_labels.validity import downsample_valid, padding_valid_mask, validity_of
from ..utils.module_modes import train_mode
from .build_checks import check_pseudoseg_parts, with_num_classes
from .sample_fields import image_labels_of, label_maps
from .semi_base import SemiBaseSegmentor
from .semi_train_settings import PseudoSegTrainSettings

# Checkpoint prefixes that are not part of the test-time EncoderDecoder.
TRAINING_ONLY_PREFIXES = ('sgc_head.', 'ema_teacher.')


class PseudoLabels(NamedTuple):
    """What the weak pass hands to the strong pass (docs/method.md §4)."""
    label: Tensor  # (Nu, C, h, w) float32 pseudo label at the decoder-logit size
    confidence: Tensor  # (Nu, h, w) its confidence
    valid: Tensor  # (Nu, H, W) bool validity of the strong view (input size)
    image_labels: Optional[Tensor]  # (Nu, C-1) given classes (image-level mode)


@MODELS.register_module()
class PseudoSeg(SemiBaseSegmentor):
    """EncoderDecoder trained with PseudoSeg (paper Sec. 3, docs/method.md §1-§4).

    ``predict``, ``_forward``, ``encode_decode`` and ``inference`` are inherited:
    at test time this *is* the wrapped EncoderDecoder. Every extra parameter and
    buffer lives under :data:`TRAINING_ONLY_PREFIXES`.

    Args (besides :class:`SemiBaseSegmentor`'s):
        sgc_head (dict, optional): :class:`SGCHead` config (``num_classes``
            defaults to the decode head's; it reads the *backbone* outputs).
            Without it there is no L_x / L_sa and the pseudo label must come from
            the decoder (``pseudo_labeler.source='decoder'``).
        pseudo_labeler (dict): :class:`CalibratedFusion` config.
        semi_train_cfg (dict): see :class:`PseudoSegTrainSettings`.

    ``loss(inputs, data_samples)`` with a dict of branches gives ``sup.*`` (decode
    and aux heads), ``sgc.loss_sa``, ``cls.loss_cls``, ``unsup.loss_u`` and
    statistics ``sgc.acc_sa``, ``cls.acc``, ``unsup.pseudo_conf``,
    ``unsup.valid_ratio``, ``unsup.confident_ratio``.
    """
    TRAINING_ONLY_PREFIXES = TRAINING_ONLY_PREFIXES
    TRAINING_MODULES = ('sgc_head', 'pseudo_labeler')
    SETTINGS = PseudoSegTrainSettings

    def build_training_modules(self, sgc_head: OptConfigType = None,
                               pseudo_labeler: OptConfigType = None) -> None:
        """The SGC head (optional) and the fusion, checked together."""
        self.sgc_head = None if sgc_head is None else MODELS.build(
            with_num_classes(sgc_head, 'sgc_head', self.num_classes))
        self.pseudo_labeler = MODELS.build(with_num_classes(
            pseudo_labeler or dict(type='CalibratedFusion'), 'pseudo_labeler',
            self.num_classes))
        check_pseudoseg_parts(self)

    # ------------------------------------------------------------------ loss
    def branch_losses(self, inputs: dict, data_samples: dict) -> dict:
        """The base step (labelled, weak, strong) plus L_x over the classifier
        views: the labelled and strong passes and, in image-level mode, one more
        training-mode pass of the weak view."""
        losses, cls_inputs = {}, {}
        if 'sup' in inputs:
            sup_losses, cls_inputs['sup'] = self.loss_by_gt_and_sgc(
                inputs['sup'], data_samples['sup'])
            losses.update(sup_losses)
        if 'weak' in inputs:
            pseudo = self.get_pseudo_labels(inputs, data_samples)
            unsup_losses, cls_inputs['strong'] = self.loss_by_strong_view(
                inputs['strong'], pseudo)
            losses.update(unsup_losses)
            cls_inputs['weak'] = self._classify_weak(inputs['weak'], pseudo)
        losses.update(self.loss_by_image_labels(cls_inputs))
        return losses

    def loss_by_gt_and_sgc(self, inputs: Tensor, samples: SampleList):
        """L_s (+aux) and L_sa on the labelled crops; returns ``(losses, L_x
        inputs or None)``. L_sa and L_x read the training-mode pass of L_s (the
        released code's ``seg_data_cls``, train_wss.py lines 637-702)."""
        stages, feats = self._features(self, inputs)
        losses = self.sup_losses(feats, samples)
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
    def get_pseudo_labels(self, inputs: dict, data_samples: dict) -> PseudoLabels:
        """The weak pass (no autograd graph): teacher, weak logits, SGC logits,
        fusion (docs/method.md §4)."""
        weak, strong_samples = inputs['weak'], data_samples['strong']
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
                     weak_samples=data_samples['weak'])
        return PseudoLabels(label, confidence, valid, image_labels)

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

    def loss_by_strong_view(self, strong: Tensor, pseudo: PseudoLabels):
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

    @staticmethod
    def _stages(model, inputs: Tensor) -> tuple:
        """Backbone outputs of ``model``, checked against the SGC head's stages."""
        stages = model.backbone(inputs)
        sgc_head = getattr(model, 'sgc_head', None)
        return stages if sgc_head is None else sgc_head.check_inputs(stages)
