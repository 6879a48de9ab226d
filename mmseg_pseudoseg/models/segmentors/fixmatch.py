"""FixMatch for segmentation as UniMatch's code trains it (``fixmatch.py``;
docs/methods.md §4).

One step::

    partner labels  = argmax / max softmax of an eval-mode no-grad pass of the
                      partner images' weak views (the code's ``img_u_w_mix``)
    labelled + weak = one training-mode pass of torch.cat((sup, weak)):
                      loss_x on the labelled part; the weak part, detached, gives
                      the hard labels ŷ and confidences of the extra images
    strong          = the strong view CutMixed with its partner's strong view;
                      its target is ŷ, with the partner's labels, confidences and
                      validity pasted into the box
    loss_u          = CE(strong, ŷ) over pixels with confidence ≥ 0.95 and valid,
                      divided by the valid pixels
    loss            = (loss_x + λ_u · loss_u) / 2

The partner of each extra image is the batch's previous one
(:mod:`mmseg_pseudoseg.models.utils.cutmix`); the code draws it from a second
loader. Logits are resized to the input size before the losses (the code's model
output), bilinear with the decode head's ``align_corners`` (the code: True).
"""
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import add_prefix
from ..losses import masked_hard_cross_entropy
from ..utils.cutmix import box_masks, cutmix, partner, paste
from ..utils.module_modes import train_mode
from .semi_base import SemiBaseSegmentor
from .semi_train_settings import SemiTrainSettings, checked_conf_thresh


@dataclass(frozen=True)
class FixMatchSettings(SemiTrainSettings):
    """Shared keys (the teacher is the model itself) plus ``conf_thresh``
    (0.95, UniMatch's ``configs/pascal.yaml``)."""
    conf_thresh: float = 0.95

    CHOICES = dict(weak_mode=('train', ), teacher=('student', ))

    @classmethod
    def checked(cls, cfg: dict) -> dict:
        cfg = super().checked(cfg)
        cfg['conf_thresh'] = checked_conf_thresh(cfg, cls.conf_thresh)
        return cfg


class HardLabels(NamedTuple):
    """Hard pseudo labels at the input size."""
    label: Tensor  # (Nu, H, W) long argmax
    confidence: Tensor  # (Nu, H, W) max softmax probability
    valid: Tensor  # (Nu, H, W) bool, image pixels (the code's ignore_mask != 255)


@MODELS.register_module()
class FixMatch(SemiBaseSegmentor):
    """FixMatch segmentor; ``semi_train_cfg``: :class:`FixMatchSettings`.

    Losses: ``sup.*`` and ``unsup.loss_u``, each with weight ½ (``(loss_x +
    loss_u) / 2``); statistics ``unsup.confident_ratio`` (confident share of the
    valid weak pixels, the code's ``mask_ratio``) and ``unsup.valid_ratio``.
    """
    SETTINGS = FixMatchSettings
    SUP_WEIGHT = 0.5  # (loss_x + loss_u) / 2
    UNSUP_WEIGHTS = dict(loss_u=0.5)

    def branch_losses(self, inputs: dict, data_samples: dict) -> dict:
        """The step of the module docstring."""
        if 'weak' not in inputs:
            return self.weighted(self.loss_by_gt(inputs['sup'], data_samples['sup']),
                                 self.SUP_WEIGHT)
        mix = self.partner_labels(inputs['weak'], data_samples['strong'])
        losses, weak_logits, weak_fp_logits = self.joint_pass(inputs, data_samples)
        own = self.hard_labels(weak_logits, data_samples['strong'])
        losses.update(self.loss_by_pseudo_labels(inputs, data_samples,
                                                 (own, mix, weak_fp_logits)))
        return losses

    @torch.no_grad()
    def partner_labels(self, weak: Tensor, strong_samples) -> HardLabels:
        """Hard labels of each image's partner from an eval-mode pass (BN
        running statistics, no dropout), as the code's ``model.eval()`` pass."""
        with train_mode([self.backbone, getattr(self, 'neck', None),
                         self.decode_head], False):
            logits = self.full_logits(self, weak)
        own = self.hard_labels(logits, strong_samples)
        return HardLabels(*(partner(t) for t in own))

    def hard_labels(self, logits: Tensor, strong_samples) -> HardLabels:
        """Argmax and confidence of ``logits`` (detached) at the input size."""
        probs = logits.detach().softmax(dim=1)
        confidence, label = probs.max(dim=1)
        valid = self.strong_validity(strong_samples)
        self._record(decoder_logits=logits, pseudo_label=probs,
                     confidence=confidence, valid_mask=valid)
        return HardLabels(label, confidence, valid)

    def joint_pass(self, inputs: dict, data_samples: dict):
        """Labelled crops and weak views in one training-mode pass (the code's
        ``model(torch.cat((img_x, img_u_w)))``). Returns ``(sup.* losses,
        weak logits, weak logits of the feature-perturbed pass or None)``, the
        logits at the input size."""
        sup, weak = inputs.get('sup'), inputs['weak']
        n_sup = 0 if sup is None else len(sup)
        images = weak if sup is None else torch.cat([sup, weak])
        feats = self._features(self, images)[1]
        logits, fp_logits = self.decode(feats)
        losses = {}
        if sup is not None:
            samples = data_samples['sup']
            losses = self.decode_head.loss_by_feat(logits[:n_sup], samples)
            losses = add_prefix(losses, 'decode')
            if self.with_auxiliary_head:
                losses.update(self._auxiliary_head_forward_train(
                    [f[:n_sup] for f in feats], samples))
            losses = self.weighted(add_prefix(losses, 'sup'), self.SUP_WEIGHT)
        size = weak.shape[-2:]
        fp_logits = None if fp_logits is None else self.resized(fp_logits[n_sup:],
                                                                size)
        return losses, self.resized(logits[n_sup:], size), fp_logits

    def decode(self, feats):
        """``(decoder logits, None)``: no feature perturbation in FixMatch."""
        return self.decode_head.forward(feats), None

    def loss_by_pseudo_labels(self, inputs: dict, data_samples: dict,
                              pseudo) -> dict:
        """``unsup.loss_u`` of the CutMixed strong view."""
        own, mix, _ = pseudo
        loss_u, = self.strong_losses([(inputs['strong'], data_samples['strong'])],
                                     own, mix)
        self._record(weak_samples=data_samples['weak'])
        return self.unsup_losses(dict(loss_u=loss_u), own)

    def strong_losses(self, views, own: HardLabels, mix: HardLabels) -> list:
        """The loss of each strong view: ``views`` is ``[(images (Nu, 3, H, W),
        samples)]``; every view is CutMixed with its partners by its samples'
        boxes, all views go through one student pass, and each is trained
        against ``own`` labels with ``mix`` pasted into its boxes."""
        boxes = [box_masks(samples, x.shape[-2:], x.device) for x, samples in views]
        mixed = torch.cat([cutmix(x, box) for (x, _), box in zip(views, boxes)])
        logits = self.full_logits(self, mixed).chunk(len(views))
        losses = []
        for view_logits, box in zip(logits, boxes):
            target = HardLabels(*(paste(o, m, box) for o, m in zip(own, mix)))
            keep = target.valid & (target.confidence >=
                                   self.semi_train_cfg.conf_thresh)
            self._record(strong_logits=view_logits, loss_mask=keep)  # last view
            losses.append(masked_hard_cross_entropy(view_logits, target.label, keep,
                                                    target.valid))
        return losses

    def unsup_losses(self, losses: dict, own: HardLabels) -> dict:
        """``unsup.*``: ``losses`` times λ_u and the method's weights, with the
        confident share of the weak view and the valid share."""
        n_valid = own.valid.sum().clamp_min(1)
        confident = own.valid & (own.confidence >= self.semi_train_cfg.conf_thresh)
        out = {k: self.unsup_weight * self.UNSUP_WEIGHTS[k] * v
               for k, v in losses.items()}
        out.update(confident_ratio=confident.sum() / n_valid,
                   valid_ratio=own.valid.float().mean())
        return add_prefix(out, 'unsup')

    @staticmethod
    def weighted(losses: dict, weight: float) -> dict:
        """``losses`` with every ``*loss*`` entry times ``weight``."""
        return {k: v * weight if 'loss' in k else v for k, v in losses.items()}
