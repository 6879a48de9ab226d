"""Mean Teacher (Tarvainen & Valpola, NeurIPS 2017) as the CutMix-Seg code trains
its segmentation baseline (docs/methods.md §2).

The teacher is the EMA of the student (``EMATeacherHook``; the code's
``teacher_alpha = 0.99`` is ``momentum=0.01`` here) and runs in training mode, as
the code's ``teacher_net.train()``. The student sees the strong view, the teacher
the weak view of the same crop; the loss is the code's default consistency
(``cons_loss_fn='var'``, ``conf_thresh=0.97``, ``conf_per_pixel=False``):
:func:`~mmseg_pseudoseg.models.losses.probability_squared_error` of the
full-resolution softmax maps, over the pixels of the image, times λ_u
(``semi_train_cfg.unsup_weight``, the code's ``cons_weight``: 0.003 in its VOC
Mean Teacher script, which the recipe sets).
"""
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor

from mmseg.registry import MODELS
from ..losses import probability_squared_error
from .semi_base import SemiBaseSegmentor
from .semi_train_settings import SemiTrainSettings, checked_conf_thresh


@dataclass(frozen=True)
class MeanTeacherSettings(SemiTrainSettings):
    """Shared keys (``teacher`` defaults to ``'ema'``) plus ``conf_thresh``
    (0.97; 0 = no confidence weighting) and ``conf_per_pixel`` (False: the
    confident share of the batch weights every pixel)."""
    teacher: str = 'ema'
    conf_thresh: float = 0.97
    conf_per_pixel: bool = False

    @classmethod
    def checked(cls, cfg: dict) -> dict:
        cfg = super().checked(cfg)
        cfg['conf_thresh'] = checked_conf_thresh(cfg, cls.conf_thresh)
        cfg['conf_per_pixel'] = bool(cfg.get('conf_per_pixel', False))
        return cfg


class ConsistencyTargets(NamedTuple):
    """The teacher's side of the consistency, aligned with the student's input."""
    probs: Tensor  # (Nu, C, H, W) teacher probabilities at the input size
    valid: Tensor  # (Nu, H, W) bool, image pixels of the student's input
    student_inputs: Tensor  # (Nu, 3, H, W) what the student sees


@MODELS.register_module()
class MeanTeacher(SemiBaseSegmentor):
    """Mean Teacher segmentor; ``semi_train_cfg``: :class:`MeanTeacherSettings`.

    Losses: ``sup.*``, ``unsup.loss_u`` (λ_u · consistency) and statistics
    ``unsup.confident_ratio`` (teacher pixels ≥ ``conf_thresh``) and
    ``unsup.valid_ratio``.
    """
    SETTINGS = MeanTeacherSettings

    @torch.no_grad()
    def get_pseudo_labels(self, inputs: dict,
                          data_samples: dict) -> ConsistencyTargets:
        """Teacher probabilities of the weak view (training-mode pass)."""
        _, logits = self.weak_logits(self.teacher(), inputs['weak'])
        logits = self.resized(logits, inputs['weak'].shape[-2:])
        probs = logits.softmax(dim=1)
        valid = self.strong_validity(data_samples['strong'])
        self._record(decoder_logits=logits, pseudo_label=probs,
                     confidence=probs.max(dim=1)[0], valid_mask=valid,
                     weak_samples=data_samples['weak'])
        return ConsistencyTargets(probs, valid, inputs['strong'])

    def loss_by_pseudo_labels(self, inputs: dict, data_samples: dict,
                              targets: ConsistencyTargets) -> dict:
        """``unsup.*``: the student's full-resolution softmax against the
        teacher's."""
        logits = self.full_logits(self, targets.student_inputs)
        cfg = self.semi_train_cfg
        loss, share = probability_squared_error(logits, targets.probs, targets.valid,
                                                cfg.conf_thresh, cfg.conf_per_pixel)
        self._record(strong_logits=logits, loss_mask=targets.valid)
        return {
            'unsup.loss_u': self.unsup_weight * loss,
            'unsup.confident_ratio': share.detach(),
            'unsup.valid_ratio': targets.valid.float().mean()}
