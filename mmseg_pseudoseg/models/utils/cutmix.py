"""CutMix of a batch with its partner images (docs/methods.md §1, the "CutMix
partner" reading).

Each extra image is mixed with its *partner*, the previous image of the batch
(``x.roll(1, dims=0)``: image ``i`` takes the box from image ``i − 1``, image 0
from the last one). The authors draw the partners from a second loader
(UniMatch's ``loader_u_mix``, CutMix-Seg's ``train_unsup_loader_1``); the batch's
other images are draws of the same distribution and need no second pass of the
data pipeline. Images, targets, confidences and validity maps are mixed with the
same box, so padding of the partner stays out of the loss.

The box of image ``i`` comes with its strong view: metainfo ``cutmix_box =
[y0, x0, y1, x1]`` on the padded crop (``RandomCutMixBox``; an empty box leaves the
image as it is).
"""
import torch
from torch import Tensor

from mmseg.utils import SampleList


def partner(x: Tensor) -> Tensor:
    """The mix partner of every image of the batch: the batch rolled by one."""
    return x.roll(1, dims=0)


def paste(x: Tensor, source: Tensor, box: Tensor) -> Tensor:
    """``x`` with the pixels in ``box`` taken from ``source`` (same shape).

    Args:
        x, source: ``(N, ...)`` with the last two dims ``(H, W)``: images
            ``(N, C, H, W)``, label maps / confidences / validity maps ``(N, H, W)``.
        box: ``(N, H, W)`` bool, True inside each image's box.
    """
    mask = box if x.dim() == 3 else box[:, None]
    return torch.where(mask, source, x)


def cutmix(x: Tensor, box: Tensor) -> Tensor:
    """``x`` with the pixels in ``box`` taken from its :func:`partner` images."""
    return paste(x, partner(x), box)


def box_masks(samples: SampleList, shape, device=None) -> Tensor:
    """``(N, H, W)`` bool masks of the metainfo ``cutmix_box`` of ``samples`` on
    the padded batch grid ``shape`` (the box is placed at the image's padding
    offset). A sample without a box is an error naming it."""
    h, w = int(shape[0]), int(shape[1])
    masks = torch.zeros(len(samples), h, w, dtype=torch.bool, device=device)
    for i, sample in enumerate(samples):
        box = sample.metainfo.get('cutmix_box')
        if box is None:
            raise KeyError(
                f"{sample.metainfo.get('img_path', f'sample #{i}')} has no "
                "'cutmix_box' in its metainfo: put RandomCutMixBox in the strong "
                "pipeline and 'cutmix_box' in PackSemiSegInputs' meta_keys")
        left, _, top, _ = sample.metainfo.get('padding_size', (0, 0, 0, 0))
        y0, x0, y1, x1 = (int(v) for v in box)
        masks[i, top + y0:top + y1, left + x0:left + x1] = True
    return masks
