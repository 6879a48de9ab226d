"""UniMatch (Yang et al., CVPR 2023) as its code trains it (``unimatch.py``;
docs/methods.md §5).

FixMatch (:class:`FixMatch`) with

* two strong views per extra image (branches ``strong`` and ``strong2``, each
  with its own jitter, blur and CutMix box), both CutMixed with the partner's
  strong view of the same branch and trained in one pass against the weak view's
  hard labels with the partner's pasted into their boxes;
* a feature perturbation: the decoder runs once on the encoder features and their
  ``Dropout2d(0.5)`` copy, concatenated (the code's ``need_fp=True``:
  ``torch.cat((c1, Dropout2d(0.5)(c1)))`` and likewise for ``c4``; here every
  neck / backbone output the decode head may read is dropped), and the perturbed
  weak prediction is trained against the weak view's own hard labels;
* ``loss = (loss_x + 0.25·loss_s1 + 0.25·loss_s2 + 0.5·loss_fp) / 2``.
"""
import torch
import torch.nn.functional as F

from mmseg.registry import MODELS
from ..losses import masked_hard_cross_entropy
from .fixmatch import FixMatch


@MODELS.register_module()
class UniMatch(FixMatch):
    """UniMatch segmentor; ``semi_train_cfg`` as :class:`FixMatch`.

    Losses: ``sup.*`` (weight ½), ``unsup.loss_s1``, ``unsup.loss_s2`` (⅛ each),
    ``unsup.loss_fp`` (¼), times λ_u; statistics as :class:`FixMatch`.
    """
    UNSUP_WEIGHTS = dict(loss_s1=0.125, loss_s2=0.125, loss_fp=0.25)
    FP_DROPOUT = 0.5

    def decode(self, feats):
        """Clean and feature-perturbed decoder logits from one decoder pass over
        both feature sets concatenated (BN statistics over both)."""
        dropped = [F.dropout2d(f, self.FP_DROPOUT, training=True) for f in feats]
        both = [torch.cat([f, d]) for f, d in zip(feats, dropped)]
        return self.decode_head.forward(both).chunk(2)

    def loss_by_pseudo_labels(self, inputs: dict, data_samples: dict,
                              pseudo) -> dict:
        """``unsup.*``: both strong views (one student pass; the partner's labels
        serve both boxes, as the code's ``mask_u_w_mix``) and the perturbed weak
        prediction against the weak view's own labels."""
        own, mix, fp_logits = pseudo
        loss_s1, loss_s2 = self.strong_losses(
            [(inputs[b], data_samples[b]) for b in ('strong', 'strong2')], own, mix)
        keep = own.valid & (own.confidence >= self.semi_train_cfg.conf_thresh)
        loss_fp = masked_hard_cross_entropy(fp_logits, own.label, keep, own.valid)
        self._record(weak_samples=data_samples['weak'])
        return self.unsup_losses(dict(loss_s1=loss_s1, loss_s2=loss_s2,
                                      loss_fp=loss_fp), own)
