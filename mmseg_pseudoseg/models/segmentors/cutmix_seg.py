"""CutMix-Seg (French et al., BMVC 2020): Mean Teacher whose student sees two
extra images mixed by a box and whose target is the teacher's predictions mixed
by the same box (the code's ``train_seg_semisup_mask_mt.py``, ``mask_mode='mix'``;
docs/methods.md §3).

The second image of each pair is the batch's previous image
(:mod:`mmseg_pseudoseg.models.utils.cutmix`); the box comes with the strong view
(``RandomCutMixBox(style='cutmix_seg')``: half the area, random aspect ratio).
Teacher predictions are mixed before the softmax, as the code (the same for a
0/1 box); the validity maps are mixed like the images (the code's ``batch_um``).
"""
import torch

from mmseg.registry import MODELS
from ..utils.cutmix import box_masks, cutmix
from .mean_teacher import ConsistencyTargets, MeanTeacher


@MODELS.register_module()
class CutMixSeg(MeanTeacher):
    """Mean Teacher with CutMix of the student's input and the teacher's target;
    same settings and losses as :class:`MeanTeacher`."""

    @torch.no_grad()
    def get_pseudo_labels(self, inputs: dict,
                          data_samples: dict) -> ConsistencyTargets:
        """Teacher probabilities of the weak views, then the image, target and
        validity of each pair mixed by its box."""
        own = super().get_pseudo_labels(inputs, data_samples)
        box = box_masks(data_samples['strong'], own.valid.shape[-2:],
                        own.valid.device)
        return ConsistencyTargets(cutmix(own.probs, box), cutmix(own.valid, box),
                                  cutmix(own.student_inputs, box))
