"""PseudoSeg: semi-supervised EncoderDecoder with calibrated soft pseudo labels.

Objective ``L = L_s + λ_u·L_u + L_x + L_sa`` (paper Sec. 3, docs/method.md §1),
the SGC through :class:`~mmseg_pseudoseg.models.heads.SGCHead` and the pseudo label
through :class:`~mmseg_pseudoseg.models.pseudo_labels.CalibratedFusion`. The batch
format is ``docs/batch_format.md``; checks of the batch are in ``batch_checks.py``.
"""
import copy
from contextlib import contextmanager
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, SampleList, add_prefix
from ..pseudo_labels.consistency_loss import (downsample_valid, padding_valid_mask,
                                              soft_cross_entropy)
from .batch_checks import (check_branches, check_label_values, image_labels_of,
                           label_maps, raise_on_bad_values, validity_of)
from .ema_teacher import EMATeacher
from .semi_train_settings import SemiTrainSettings

# Checkpoint prefixes that are not part of the test-time EncoderDecoder.
TRAINING_ONLY_PREFIXES = ('sgc_head.', 'ema_teacher.')


@MODELS.register_module()
class PseudoSeg(EncoderDecoder):
    """EncoderDecoder trained with PseudoSeg (paper Sec. 3, docs/method.md §1-§4).

    ``predict``, ``_forward``, ``encode_decode`` and ``inference`` are inherited:
    at test time this *is* the wrapped EncoderDecoder. Every extra parameter and
    buffer lives under :data:`TRAINING_ONLY_PREFIXES`; a checkpoint without them
    loads into the stock model with ``strict=True``.

    Args:
        backbone, decode_head, neck, auxiliary_head, train_cfg, test_cfg,
        data_preprocessor, pretrained, init_cfg: as :class:`EncoderDecoder`.
        sgc_head (dict, optional): :class:`SGCHead` config. ``num_classes``
            defaults to the decode head's; it reads the *backbone* outputs. Without
            it there is no L_x / L_sa and the pseudo label must come from the
            decoder (``pseudo_labeler.source='decoder'``).
        pseudo_labeler (dict): :class:`CalibratedFusion` config.
        semi_train_cfg (dict): see :class:`SemiTrainSettings`.

    ``loss(inputs, data_samples)``: a Tensor gives ``EncoderDecoder.loss``; a dict
    of branches ``sup`` / ``weak`` / ``strong`` gives ``sup.*`` (decode and aux
    heads), ``sgc.loss_sa``, ``cls.loss_cls``, ``unsup.loss_u`` and statistics
    ``sgc.acc_sa``, ``cls.acc``, ``unsup.pseudo_conf``, ``unsup.valid_ratio``,
    ``unsup.confident_ratio``, ``unsup.weight``.

    Attributes:
        unsup_weight (float): λ_u of the next step (``UnsupWeightRampUpHook``).
        keep_pseudo_labels (bool): when True, ``loss`` stores the step's detached
            tensors in ``last_pseudo_labels`` (docs/batch_format.md: ``decoder_probs``,
            ``sgc_probs``, ``pseudo_label``, ``strong_logits`` ``(Nu, C, h, w)``;
            ``confidence``, ``valid_mask``, ``loss_mask`` ``(Nu, h, w)``).
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None,
                 sgc_head: OptConfigType = None,
                 pseudo_labeler: OptConfigType = None,
                 semi_train_cfg: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None):
        super().__init__(backbone, decode_head, neck, auxiliary_head, train_cfg,
                         test_cfg, data_preprocessor, pretrained, init_cfg)
        if self.decode_head.out_channels != self.num_classes:
            raise ValueError(
                'PseudoSeg needs a softmax decode head: decode_head.out_channels='
                f'{self.decode_head.out_channels} != num_classes={self.num_classes}.\n'
                'A sigmoid head gives no class distribution for the fusion; use '
                'out_channels=num_classes and a softmax loss (use_sigmoid=False).')
        self.semi_train_cfg = SemiTrainSettings.from_cfg(semi_train_cfg)
        self._init_sgc_head(sgc_head)
        self._init_pseudo_labeler(pseudo_labeler)
        self.ema_teacher = (EMATeacher(self) if self.semi_train_cfg.teacher == 'ema'
                            else None)
        self.unsup_weight = self.semi_train_cfg.unsup_weight
        self.keep_pseudo_labels = False
        self.last_pseudo_labels: Optional[dict] = None

    def _init_sgc_head(self, sgc_head: OptConfigType) -> None:
        self.sgc_head = None
        if sgc_head is None:
            if self.semi_train_cfg.use_image_labels:
                raise ValueError('semi_train_cfg.use_image_labels=True needs an '
                                 'sgc_head (image labels feed the CAM and L_x)')
            return
        sgc_head = copy.deepcopy(sgc_head)
        sgc_head.setdefault('num_classes', self.num_classes)
        if sgc_head['num_classes'] != self.num_classes:
            raise ValueError(
                f"Class count mismatch: sgc_head.num_classes={sgc_head['num_classes']}"
                f' but decode_head.num_classes={self.num_classes}')
        self.sgc_head = MODELS.build(sgc_head)

    def _init_pseudo_labeler(self, pseudo_labeler: OptConfigType) -> None:
        cfg = copy.deepcopy(pseudo_labeler or dict(type='CalibratedFusion'))
        if cfg.get('num_classes', self.num_classes) != self.num_classes:
            raise ValueError(
                f"Class count mismatch: pseudo_labeler.num_classes={cfg['num_classes']}"
                f' but decode_head.num_classes={self.num_classes}')
        self.pseudo_labeler = MODELS.build(cfg)
        if len(self.pseudo_labeler.state_dict()) > 0:
            raise ValueError('pseudo_labeler must have no parameters or buffers (the '
                             'test-time model is the EncoderDecoder); found '
                             f'{list(self.pseudo_labeler.state_dict())}')
        if self.sgc_head is None and self.pseudo_labeler.needs_sgc:
            raise ValueError(
                f'pseudo_labeler uses the SGC (source={self.pseudo_labeler.source!r})'
                " but no sgc_head is configured; add one or set source='decoder'")

    # ------------------------------------------------------------------ entry
    def loss(self, inputs, data_samples) -> Dict[str, Tensor]:
        """Losses of one step (see the class docstring for the two input forms).

        Value checks of the step (finite losses and weak logits, validity-map
        values) are read with one host sync at the end, before any gradient.
        """
        if not isinstance(inputs, dict):
            return super().loss(inputs, data_samples)
        check_branches(inputs, data_samples)
        losses, cls_inputs, pseudo = {}, {}, None
        if 'sup' in inputs:
            sup_losses, cls_inputs['sup'] = self.loss_by_gt(inputs['sup'],
                                                            data_samples['sup'])
            losses.update(sup_losses)
        if 'weak' in inputs:
            pseudo = self.get_pseudo_labels(inputs['weak'], data_samples['weak'],
                                            data_samples['strong'])
            unsup_losses, cls_inputs['strong'] = self.loss_by_pseudo_labels(
                inputs['strong'], data_samples['strong'], pseudo)
            losses.update(unsup_losses)
            cls_inputs['weak'] = self._classify_weak(inputs['weak'], pseudo)
        losses.update(self.loss_by_image_labels(cls_inputs))
        raise_on_bad_values(losses, pseudo, data_samples,
                            self.semi_train_cfg.classifier_views)
        return losses

    # ---------------------------------------------------------------- passes
    @staticmethod
    def _features(model, inputs: Tensor) -> Tuple[tuple, tuple]:
        """(backbone, neck) outputs of ``model``: the segmentor or its EMA teacher."""
        stages = model.backbone(inputs)
        neck = getattr(model, 'neck', None)
        return stages, (neck(stages) if neck is not None else stages)

    @staticmethod
    @contextmanager
    def _mode(modules, training: bool):
        """Put ``modules`` (None skipped) in train/eval mode, then restore them."""
        modules = [(m, m.training) for m in modules if m is not None]
        for m, _ in modules:
            m.train(training)
        try:
            yield
        finally:
            for m, state in modules:
                m.train(state)

    def _class_inputs(self, stages, labels: Tensor) -> Tuple[Tensor, Tensor]:
        """(classifier logits with dropout, labels) for L_x."""
        return self.sgc_head.classify(self.sgc_head.check_inputs(stages)), labels

    # ------------------------------------------------------------ the steps
    def loss_by_gt(self, inputs: Tensor, samples: SampleList):
        """L_s (+aux) and L_sa on the labelled crops; returns ``(losses, L_x
        inputs or None)``. L_sa and L_x read the training-mode pass of L_s (the
        released code's ``seg_data_cls``, train_wss.py lines 637-702, is a second
        training-mode pass of the same crops)."""
        gt = label_maps(samples)  # (Ns, 1, H, W)
        try:
            return self._labelled_losses(inputs, samples, gt)
        except (IndexError, RuntimeError) as err:  # an out-of-range label?
            check_label_values(gt, samples, self.num_classes,
                               self.decode_head.ignore_index, cause=err)
            raise

    def _labelled_losses(self, inputs: Tensor, samples: SampleList, gt: Tensor):
        stages, feats = self._features(self, inputs)
        losses = self._decode_head_forward_train(feats, samples)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(feats, samples))
        losses = add_prefix(losses, 'sup')
        if self.sgc_head is None:
            return losses, None
        ignore = self.decode_head.ignore_index
        stages = self.sgc_head.check_inputs(stages)
        labels = self.sgc_head.labels_from_seg(gt, ignore)
        valid = padding_valid_mask([s.metainfo for s in samples], inputs.shape[-2:],
                                   inputs.device)
        sgc_logits = self.sgc_head(stages, labels, valid)
        losses.update(add_prefix(self.sgc_head.loss_sa(sgc_logits, gt, ignore), 'sgc'))
        in_views = 'sup' in self.semi_train_cfg.classifier_views
        return losses, self._class_inputs(stages, labels) if in_views else None

    @torch.no_grad()
    def get_pseudo_labels(self, weak: Tensor, weak_samples: SampleList,
                          strong_samples: SampleList) -> Dict[str, Tensor]:
        """The weak pass (no autograd graph): pseudo label from decoder + SGC.

        The decoder logits come from a pass in ``weak_mode``; with
        ``cam_pass='eval'`` the class prediction, Grad-CAM and hypercolumn come
        from one more backbone pass in inference mode, as the released code's
        "Using inference mode to generate Grad-CAM" block (train_wss.py lines
        373-425). Returns the tensors of the step's stash plus ``strong_valid``,
        ``image_labels``, ``decoder_logits`` and ``sgc_logits``.
        """
        cfg = self.semi_train_cfg
        teacher = self if self.ema_teacher is None else self.ema_teacher
        if teacher is self.ema_teacher and not teacher.ready:
            raise RuntimeError("semi_train_cfg.teacher='ema' needs EMATeacherHook to "
                               'initialise the teacher.\nAdd custom_hooks=[dict(type='
                               "'EMATeacherHook', momentum=0.999)] to the config.")
        strong_valid, bad_validity = validity_of(strong_samples, weak.shape,
                                                 self.decode_head.ignore_index)
        image_labels = (image_labels_of(strong_samples, self.num_classes, weak.device)
                        if cfg.use_image_labels else None)
        heads = [teacher.backbone, getattr(teacher, 'neck', None),
                 teacher.decode_head]
        with self._mode(heads, cfg.weak_mode == 'train'):
            stages, feats = self._features(teacher, weak)
            decoder_logits = teacher.decode_head.forward(feats)
        sgc_logits = None
        if teacher.sgc_head is not None and (self.pseudo_labeler.needs_sgc
                                             or self.keep_pseudo_labels):
            if cfg.cam_pass == 'eval' and cfg.weak_mode == 'train':
                with self._mode([teacher.backbone], False):
                    stages = teacher.backbone(weak)
            stages = teacher.sgc_head.check_inputs(stages)
            labels = image_labels if image_labels is not None else (
                teacher.sgc_head.classify(stages, dropout=False).sigmoid()
                >= cfg.class_threshold).float()
            # bilinear, align_corners=True by default: train_wss.py lines 417-420
            sgc_logits = F.interpolate(teacher.sgc_head(stages, labels, strong_valid),
                                       size=decoder_logits.shape[-2:], mode='bilinear',
                                       align_corners=teacher.sgc_head.align_corners)
        used_sgc = sgc_logits if self.pseudo_labeler.needs_sgc else None
        label, confidence = self.pseudo_labeler(decoder_logits, used_sgc)
        return dict(pseudo_label=label, confidence=confidence,
                    decoder_logits=decoder_logits, sgc_logits=used_sgc,
                    decoder_probs=decoder_logits.float().softmax(dim=1),
                    sgc_probs=None if sgc_logits is None else
                    sgc_logits.float().softmax(dim=1),
                    strong_valid=strong_valid, bad_validity=bad_validity,
                    image_labels=image_labels, weak_samples=weak_samples)

    def loss_by_pseudo_labels(self, strong: Tensor, strong_samples: SampleList,
                              pseudo: Dict[str, Tensor]):
        """λ_u·L_u of the strong view against the pseudo label; returns
        ``(losses, L_x inputs or None)`` (the strong view trains the classifier
        only when ``'strong'`` is in ``classifier_views``)."""
        stages, feats = self._features(self, strong)
        strong_logits = self.decode_head.forward(feats)
        valid = downsample_valid(pseudo['strong_valid'], strong_logits.shape[-2:],
                                 self.semi_train_cfg.valid_downsample)
        loss_mask = valid & (pseudo['confidence'] >= self.pseudo_labeler.threshold)
        loss_u = soft_cross_entropy(strong_logits, pseudo['pseudo_label'], loss_mask,
                                    valid)
        with torch.no_grad():
            n_valid = valid.sum().clamp_min(1)
            stats = dict(pseudo_conf=(pseudo['confidence'] * valid).sum() / n_valid,
                         valid_ratio=valid.float().mean(),
                         confident_ratio=loss_mask.sum() / n_valid,
                         weight=torch.tensor(float(self.unsup_weight),
                                             device=strong.device))
        if self.keep_pseudo_labels:
            self.last_pseudo_labels = dict(
                {k: pseudo[k] for k in ('decoder_probs', 'sgc_probs', 'pseudo_label',
                                        'confidence', 'weak_samples')},
                valid_mask=valid, loss_mask=loss_mask,
                strong_logits=strong_logits.detach())
        losses = add_prefix(dict(loss_u=self.unsup_weight * loss_u, **stats), 'unsup')
        if 'strong' not in self.semi_train_cfg.classifier_views:
            return losses, None
        return losses, self._class_inputs(stages, pseudo['image_labels'])

    def _classify_weak(self, weak: Tensor, pseudo: Dict[str, Tensor]):
        """L_x inputs of the weak view from its own training-mode pass with grad
        (released ``cls_with_cls=True``: train_wss.py lines 306-342), or None."""
        if 'weak' not in self.semi_train_cfg.classifier_views:
            return None
        return self._class_inputs(self.backbone(weak), pseudo['image_labels'])

    def loss_by_image_labels(self, cls_inputs: Dict[str, Optional[tuple]]) -> dict:
        """L_x over the ``(logits, labels)`` of the classifier views (``cls.*``)."""
        parts = [part for part in cls_inputs.values() if part is not None]
        if not parts:
            return {}
        logits, labels = (torch.cat(t) for t in zip(*parts))
        return add_prefix(self.sgc_head.loss_cls(logits, labels), 'cls')
