"""PseudoSeg: semi-supervised EncoderDecoder with calibrated soft pseudo labels.

SPEC §1 (objective ``L = L_s + λ_u·L_u + L_x + L_sa``), §2-§4 through
:class:`~mmseg_pseudoseg.models.heads.SGCHead` and
:class:`~mmseg_pseudoseg.models.pseudo_labels.CalibratedFusion`. The batch format is
``docs/batch_format.md``.
"""
import copy
from contextlib import contextmanager
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig, SampleList,
                         add_prefix)
from ..pseudo_labels.consistency_loss import (VALID_DOWNSAMPLE, downsample_valid,
                                              padding_valid_mask,
                                              soft_cross_entropy)
from ..utils.deferred_checks import DeferredChecks
from .ema_teacher import EMATeacher

BRANCHES = ('sup', 'weak', 'strong')
DEFAULT_SEMI_TRAIN_CFG = dict(
    unsup_weight=1.0,          # λ_u (model.unsup_weight; hooks may ramp it)
    use_image_labels=False,    # image-level mode (gt_image_labels on strong samples)
    weak_mode='train',         # BN/dropout of the weak pass: 'train' | 'eval'
    valid_downsample='nearest',  # validity map → logit resolution: 'nearest' | 'any'
    teacher='student',         # weak pass by the current model, or 'ema' (option)
    ema_momentum=0.999,        # EMA teacher momentum (teacher='ema' only)
)


def sample_name(sample, index: int) -> str:
    """A human-readable id of a data sample for error messages."""
    meta = sample.metainfo
    for key in ('img_path', 'img_id', 'seg_map_path'):
        if meta.get(key) is not None:
            return str(meta[key])
    return f'sample #{index} (no img_path in metainfo)'


@MODELS.register_module()
class PseudoSeg(EncoderDecoder):
    """EncoderDecoder trained with PseudoSeg (SPEC §1-4).

    ``predict``, ``_forward``, ``encode_decode`` and ``inference`` are inherited
    unchanged: at test time this *is* the wrapped EncoderDecoder. All extra
    parameters live under ``sgc_head.``; ``pseudo_labeler`` has none, so a
    checkpoint minus ``sgc_head.*`` loads into the stock model with
    ``strict=True``.

    Args:
        backbone, decode_head, neck, auxiliary_head, train_cfg, test_cfg,
        data_preprocessor, pretrained, init_cfg: as :class:`EncoderDecoder`.
        sgc_head (dict, optional): :class:`SGCHead` config. ``num_classes``
            defaults to the decode head's; it reads the *backbone* outputs. Without
            it there is no L_x / L_sa and the pseudo label must come from the
            decoder (``pseudo_labeler.source='decoder'``).
        pseudo_labeler (dict): :class:`CalibratedFusion` config (γ, T, norm,
            source, hard, threshold).
        semi_train_cfg (dict): ``unsup_weight`` (λ_u, 1.0), ``use_image_labels``
            (False), ``weak_mode`` ('train' | 'eval'), ``valid_downsample``
            ('nearest' | 'any', how the strong validity map reaches the decoder
            logit resolution: 'nearest' as the released code, 'any' = a logit
            pixel is invalid if any input pixel under it is), ``teacher``
            ('student' = pseudo labels from the current model, default; 'ema' =
            from an exponential moving average of it, not saved in checkpoints,
            see ``ema_teacher.py``), ``ema_momentum`` (0.999).

    ``loss(inputs, data_samples)``:
        - ``inputs`` a Tensor: exactly ``EncoderDecoder.loss`` (supervised).
        - ``inputs`` a dict with branches ``sup`` / ``weak`` / ``strong`` (see
          ``docs/batch_format.md``): ``sup.*`` (decode and aux heads), ``sgc.loss_sa``,
          ``cls.loss_cls``, ``unsup.loss_u``; statistics ``sup.decode.acc_seg``,
          ``sgc.acc_sa``, ``cls.acc``, ``unsup.pseudo_conf``, ``unsup.valid_ratio``,
          ``unsup.confident_ratio``, ``unsup.weight``.

    Attributes:
        unsup_weight (float): λ_u used by the next ``loss`` call.
        keep_pseudo_labels (bool): when True, ``loss`` stores detached tensors of
            the step in ``last_pseudo_labels`` (``decoder_probs``, ``sgc_probs``,
            ``pseudo_label``, ``confidence``, ``strong_logits`` at decoder-logit
            resolution ``(Nu, C, h, w)`` / ``(Nu, h, w)``; ``valid_mask`` and
            ``loss_mask`` ``(Nu, h, w)`` bool; ``weak_samples``).
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
        super().__init__(
            backbone=backbone,
            decode_head=decode_head,
            neck=neck,
            auxiliary_head=auxiliary_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg)
        num_classes = self.decode_head.num_classes
        if self.decode_head.out_channels != num_classes:
            raise ValueError(
                f'PseudoSeg needs a softmax decode head: decode_head.out_channels='
                f'{self.decode_head.out_channels} != num_classes={num_classes}')

        cfg = dict(DEFAULT_SEMI_TRAIN_CFG)
        unknown = set(semi_train_cfg or {}) - set(cfg)
        if unknown:
            raise ValueError(f'Unknown semi_train_cfg keys {sorted(unknown)}; '
                             f'known: {sorted(cfg)}')
        cfg.update(semi_train_cfg or {})
        if cfg['weak_mode'] not in ('train', 'eval'):
            raise ValueError("semi_train_cfg.weak_mode must be 'train' or 'eval', "
                             f"got {cfg['weak_mode']!r}")
        if cfg['valid_downsample'] not in VALID_DOWNSAMPLE:
            raise ValueError('semi_train_cfg.valid_downsample must be one of '
                             f"{VALID_DOWNSAMPLE}, got {cfg['valid_downsample']!r}")
        self.semi_train_cfg = cfg
        self.unsup_weight = float(cfg['unsup_weight'])
        self.use_image_labels = bool(cfg['use_image_labels'])
        self.weak_mode = cfg['weak_mode']
        self.valid_downsample = cfg['valid_downsample']
        if cfg['teacher'] not in ('student', 'ema'):
            raise ValueError("semi_train_cfg.teacher must be 'student' or 'ema', got "
                             f"{cfg['teacher']!r}")
        self.ema_teacher = (EMATeacher(cfg['ema_momentum'])
                            if cfg['teacher'] == 'ema' else None)
        if self.ema_teacher is not None:  # loaded weights restart the average
            self.register_load_state_dict_post_hook(self._reset_teacher)

        if sgc_head is not None:
            sgc_head = copy.deepcopy(sgc_head)
            sgc_head.setdefault('num_classes', num_classes)
            if sgc_head['num_classes'] != num_classes:
                raise ValueError(
                    f"Class count mismatch: sgc_head.num_classes="
                    f"{sgc_head['num_classes']} but decode_head.num_classes="
                    f'{num_classes}')
            self.sgc_head = MODELS.build(sgc_head)
        else:
            self.sgc_head = None

        pseudo_labeler = copy.deepcopy(
            pseudo_labeler if pseudo_labeler is not None else
            dict(type='CalibratedFusion'))
        labeler_classes = pseudo_labeler.get('num_classes', None)
        if labeler_classes is not None and labeler_classes != num_classes:
            raise ValueError(
                f'Class count mismatch: pseudo_labeler.num_classes={labeler_classes} '
                f'but decode_head.num_classes={num_classes}')
        self.pseudo_labeler = MODELS.build(pseudo_labeler)
        if len(self.pseudo_labeler.state_dict()) > 0:
            raise ValueError(
                'pseudo_labeler must have no parameters or buffers (a PseudoSeg '
                'checkpoint minus sgc_head.* must load into EncoderDecoder); found '
                f'{list(self.pseudo_labeler.state_dict())}')
        if self.sgc_head is None:
            if getattr(self.pseudo_labeler, 'needs_sgc', True):
                raise ValueError(
                    'pseudo_labeler uses the SGC (source='
                    f"{getattr(self.pseudo_labeler, 'source', '?')!r}) but no "
                    "sgc_head is configured; add one or set source='decoder'")
            if self.use_image_labels:
                raise ValueError('semi_train_cfg.use_image_labels=True needs an '
                                 'sgc_head (image labels feed the CAM and L_x)')

        self.keep_pseudo_labels = False
        self.last_pseudo_labels: Optional[dict] = None

    @staticmethod
    def _reset_teacher(module, incompatible_keys) -> None:
        module.ema_teacher.reset()

    # ------------------------------------------------------------------ entry
    def loss(self, inputs, data_samples) -> Dict[str, Tensor]:
        """Losses of one step; see the class docstring for the two input forms.

        Value checks of the step (strong validity maps, finite weak logits) are
        collected and read with one host sync at the end (:class:`DeferredChecks`);
        label values are checked only when a loss fails on them (see
        :meth:`_check_label_values`).
        """
        if not isinstance(inputs, dict):
            return super().loss(inputs, data_samples)
        self._check_branches(inputs, data_samples)
        checks = DeferredChecks()
        losses: Dict[str, Tensor] = {}
        cls_logits: List[Tensor] = []
        cls_labels: List[Tensor] = []
        if 'sup' in inputs:
            losses.update(self._sup_loss(inputs['sup'], data_samples['sup'],
                                         cls_logits, cls_labels))
        if 'weak' in inputs:
            losses.update(self._unsup_loss(inputs['weak'], inputs['strong'],
                                           data_samples['weak'],
                                           data_samples['strong'], cls_logits,
                                           cls_labels, checks))
        if cls_logits:
            losses.update(add_prefix(
                self.sgc_head.loss_cls(torch.cat(cls_logits), torch.cat(cls_labels)),
                'cls'))
        checks.resolve()
        return losses

    # ------------------------------------------------------------- checking
    @staticmethod
    def _check_branches(inputs: dict, data_samples) -> None:
        if not isinstance(data_samples, dict):
            raise TypeError('PseudoSeg.loss got dict inputs but data_samples of type '
                            f'{type(data_samples).__name__}; both must be dicts '
                            'keyed by branch (docs/batch_format.md)')
        unknown = (set(inputs) | set(data_samples)) - set(BRANCHES)
        if unknown:
            raise KeyError(f'Unknown branches {sorted(unknown)}; expected a subset '
                           f'of {BRANCHES}')
        if not inputs:
            raise ValueError('PseudoSeg.loss got an empty batch (no branch)')
        if ('weak' in inputs) != ('strong' in inputs):
            raise KeyError('Branches "weak" and "strong" come together; got '
                           f'{sorted(inputs)}')
        for name, tensor in inputs.items():
            samples = data_samples.get(name)
            if samples is None or len(samples) != tensor.shape[0]:
                raise ValueError(
                    f'Branch {name!r}: {tensor.shape[0]} images but '
                    f'{None if samples is None else len(samples)} data samples')
        if 'weak' in inputs and inputs['weak'].shape != inputs['strong'].shape:
            raise ValueError(
                f"weak {tuple(inputs['weak'].shape)} and strong "
                f"{tuple(inputs['strong'].shape)} views must be pixel-aligned "
                '(same shape)')

    def _stack_seg(self, samples: SampleList, branch: str) -> Tensor:
        missing = [sample_name(s, i) for i, s in enumerate(samples)
                   if s.get('gt_sem_seg') is None]
        if missing:
            what = ('label map' if branch == 'sup' else
                    'validity map (0 = valid, 255 = padding/CutOut)')
            raise ValueError(f'Branch {branch!r}: no gt_sem_seg {what} for '
                             f'{", ".join(missing)}')
        return torch.stack([s.gt_sem_seg.data for s in samples])

    def _check_label_values(self, gt: Tensor, samples: SampleList,
                            cause: Optional[BaseException] = None) -> None:
        """Raise if labels leave ``[0, num_classes)`` other than the ignore index,
        naming the images (a dataset with more classes than the model).

        Not run on every step (it would cost a host sync): the datasets check
        their masks against their own classes when they load them, the
        ``PseudoLabelHook`` compares the dataset's classes with the model's before
        training, and :meth:`_sup_loss` calls this when a loss fails, to turn the
        loss's index error into this message (on CPU; on CUDA an out-of-range
        target is a device-side assert that cannot be caught).
        """
        ignore = self.decode_head.ignore_index
        bad = ((gt < 0) | (gt >= self.num_classes)) & (gt != ignore)
        if bool(bad.any()):
            rows = bad.flatten(1).any(dim=1).nonzero()[:, 0].tolist()
            values = sorted(set(gt[bad].unique().tolist()))
            raise ValueError(
                f'Label values {values} outside [0, {self.num_classes}) (decode_head.'
                f'num_classes={self.num_classes}, ignore {ignore}) in '
                f'{", ".join(sample_name(samples[i], i) for i in rows)}; does the '
                'dataset have more classes than the model?') from cause

    def _strong_validity(self, samples: SampleList, shape,
                         checks: DeferredChecks) -> Tensor:
        """``(Nu, H, W)`` bool from the strong validity maps (0 valid, 255 not);
        their values are checked through ``checks`` (no sync here)."""
        vmap = self._stack_seg(samples, 'strong')[:, 0]
        if tuple(vmap.shape[-2:]) != tuple(shape[-2:]):
            raise ValueError(f'strong validity maps {tuple(vmap.shape[-2:])} do not '
                             f'match the strong images {tuple(shape[-2:])}')
        invalid_value = self.decode_head.ignore_index
        odd = (vmap != 0) & (vmap != invalid_value)

        def fail():
            bad = odd.flatten(1).any(dim=1).nonzero()[:, 0].tolist()
            raise ValueError(
                'strong gt_sem_seg must be a validity map with values 0 (valid) and '
                f'{invalid_value} (padding/CutOut); other values in '
                f'{", ".join(sample_name(samples[i], i) for i in bad)}')

        checks.add(odd.any(), fail)
        return vmap == 0

    def _given_image_labels(self, samples: SampleList, device) -> Tensor:
        """``(Nu, C-1)`` float from ``gt_image_labels`` of the strong samples."""
        expected = self.num_classes - 1
        labels = []
        for i, s in enumerate(samples):
            value = s.get('gt_image_labels')
            if value is None:
                raise ValueError(
                    'semi_train_cfg.use_image_labels=True but strong sample '
                    f'{sample_name(s, i)} has no gt_image_labels')
            value = torch.as_tensor(value, dtype=torch.float32, device=device)
            if value.shape != (expected, ):
                raise ValueError(
                    f'gt_image_labels of {sample_name(s, i)} has shape '
                    f'{tuple(value.shape)}; expected ({expected},) = num_classes '
                    f'{self.num_classes} minus background')
            labels.append(value)
        return torch.stack(labels)

    # ------------------------------------------------------------ branches
    def _features(self, inputs: Tensor):
        """(backbone outputs, neck outputs) – the SGC reads the former."""
        stages = self.backbone(inputs)
        feats = self.neck(stages) if self.with_neck else stages
        return stages, feats

    def _sup_loss(self, inputs: Tensor, samples: SampleList,
                  cls_logits: List[Tensor], cls_labels: List[Tensor]) -> dict:
        """L_s (+aux) on the labelled crops, plus L_sa and L_x inputs."""
        gt = self._stack_seg(samples, 'sup')  # (Ns, 1, H, W)
        try:
            return self._sup_losses(inputs, samples, gt, cls_logits, cls_labels)
        except (IndexError, RuntimeError) as err:  # an out-of-range label?
            self._check_label_values(gt, samples, cause=err)
            raise

    def _sup_losses(self, inputs: Tensor, samples: SampleList, gt: Tensor,
                    cls_logits: List[Tensor], cls_labels: List[Tensor]) -> dict:
        stages, feats = self._features(inputs)
        losses = add_prefix(self._decode_head_forward_train(feats, samples), 'sup')
        if self.with_auxiliary_head:
            losses.update(add_prefix(
                self._auxiliary_head_forward_train(feats, samples), 'sup'))
        if self.sgc_head is None:
            return losses
        ignore = self.decode_head.ignore_index
        stages = self.sgc_head.check_inputs(stages)
        labels = self.sgc_head.labels_from_seg(gt, ignore)
        cls_logits.append(self.sgc_head.classify(stages, dropout=True))
        cls_labels.append(labels)
        valid = padding_valid_mask([s.metainfo for s in samples], inputs.shape[-2:],
                                   inputs.device)
        sgc_logits = self.sgc_head(stages, labels, valid)
        losses.update(add_prefix(self.sgc_head.loss_sa(sgc_logits, gt, ignore),
                                 'sgc'))
        return losses

    def _weak_pass_modules(self) -> Dict[str, nn.Module]:
        """The modules of the weak pass: the student's, or the EMA teacher's."""
        student = dict(backbone=self.backbone, decode_head=self.decode_head,
                       neck=self.neck if self.with_neck else None,
                       sgc_head=self.sgc_head)
        if self.ema_teacher is None:
            return student
        teacher = self.ema_teacher.update(student)
        return {k: teacher[k] if k in teacher else None for k in student}

    @contextmanager
    def _weak_pass_mode(self, net: Dict[str, nn.Module]):
        """Backbone/neck/decode head in eval mode for the weak pass if asked."""
        if self.weak_mode == 'train':
            yield
            return
        modules = [net[k] for k in ('backbone', 'neck', 'decode_head')
                   if net[k] is not None]
        states = [m.training for m in modules]
        for m in modules:
            m.eval()
        try:
            yield
        finally:
            for m, state in zip(modules, states):
                m.train(state)

    @torch.no_grad()
    def _pseudo_label(self, weak: Tensor, weak_samples: SampleList,
                      strong_valid: Tensor,
                      given_labels: Optional[Tensor],
                      checks: Optional[DeferredChecks] = None) -> Dict[str, Tensor]:
        """The weak pass: pseudo label from decoder + SGC, no autograd graph."""
        net = self._weak_pass_modules()
        with self._weak_pass_mode(net):
            stages = net['backbone'](weak)
            feats = net['neck'](stages) if net['neck'] is not None else stages
            decoder_logits = net['decode_head'].forward(feats)
        sgc_logits = None
        sgc = net['sgc_head']
        if sgc is not None and (self.pseudo_labeler.needs_sgc
                                or self.keep_pseudo_labels):
            stages = sgc.check_inputs(stages)
            if given_labels is not None:
                labels = given_labels
            else:
                labels = (sgc.classify(stages, dropout=False).sigmoid()
                          >= 0.5).float()
            sgc_logits = sgc(stages, labels, strong_valid)
            sgc_logits = F.interpolate(sgc_logits, size=decoder_logits.shape[-2:],
                                       mode='bilinear',
                                       align_corners=sgc.align_corners)
        return self.pseudo_labeler(
            decoder_logits, sgc_logits, branch='weak',
            image_names=[sample_name(s, i) for i, s in enumerate(weak_samples)],
            checks=checks)

    def _unsup_loss(self, weak: Tensor, strong: Tensor, weak_samples: SampleList,
                    strong_samples: SampleList, cls_logits: List[Tensor],
                    cls_labels: List[Tensor], checks: DeferredChecks) -> dict:
        """λ_u·L_u on the extra images (and L_x inputs in image-level mode)."""
        strong_valid = self._strong_validity(strong_samples, strong.shape, checks)
        given = (self._given_image_labels(strong_samples, strong.device)
                 if self.use_image_labels else None)
        pseudo = self._pseudo_label(weak, weak_samples, strong_valid, given, checks)

        stages, feats = self._features(strong)
        strong_logits = self.decode_head.forward(feats)
        size = strong_logits.shape[-2:]
        if tuple(pseudo['pseudo_label'].shape[-2:]) != tuple(size):
            raise RuntimeError('weak and strong decoder logits differ in size: '
                               f"{tuple(pseudo['pseudo_label'].shape[-2:])} vs "
                               f'{tuple(size)}')
        valid = downsample_valid(strong_valid, size, self.valid_downsample)
        loss_mask = valid & pseudo['confident']
        loss_u = soft_cross_entropy(strong_logits, pseudo['pseudo_label'],
                                    loss_mask, valid)
        with torch.no_grad():
            n_valid = valid.sum().clamp_min(1)
            stats = dict(
                pseudo_conf=(pseudo['confidence'] * valid).sum() / n_valid,
                valid_ratio=valid.float().mean(),
                confident_ratio=loss_mask.sum() / n_valid,
                weight=torch.tensor(float(self.unsup_weight),
                                    device=strong.device))
        losses = add_prefix(dict(loss_u=self.unsup_weight * loss_u, **stats),
                            'unsup')
        if given is not None:
            stages = self.sgc_head.check_inputs(stages)
            cls_logits.append(self.sgc_head.classify(stages, dropout=True))
            cls_labels.append(given)
        if self.keep_pseudo_labels:
            self.last_pseudo_labels = dict(
                decoder_probs=pseudo['decoder_probs'],
                sgc_probs=pseudo['sgc_probs'],
                pseudo_label=pseudo['pseudo_label'],
                confidence=pseudo['confidence'],
                valid_mask=valid.detach(),
                loss_mask=loss_mask.detach(),
                strong_logits=strong_logits.detach(),
                weak_samples=weak_samples)
        return losses
