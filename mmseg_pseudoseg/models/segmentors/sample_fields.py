"""Per-sample fields of a branch stacked into batch tensors (docs/batch_format.md)."""
import torch
from torch import Tensor

from mmseg.utils import SampleList


def label_maps(samples: SampleList) -> Tensor:
    """``(Ns, 1, H, W)`` label maps (``gt_sem_seg``) of the labelled samples."""
    return torch.stack([s.gt_sem_seg.data for s in samples])


def image_labels_of(samples: SampleList, device) -> Tensor:
    """``(Nu, C-1)`` float multi-hot ``gt_image_labels`` of the strong samples."""
    return torch.stack([torch.as_tensor(s.gt_image_labels, dtype=torch.float32,
                                        device=device) for s in samples])
