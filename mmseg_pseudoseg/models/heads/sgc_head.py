"""Self-attention Grad-CAM head: classifier, closed-form Grad-CAM, SGC (docs/method.md §1-3)."""
import functools
import math
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmseg.registry import MODELS
from ..pseudo_labels.validity import downsample_valid
from ..pseudo_labels.grad_cam import grad_cam

BACKGROUNDS = ('released', 'paper')
HALF = (torch.float16, torch.bfloat16)


def full_precision(method):
    """Run ``method`` with autocast off and float16/bfloat16 tensor arguments cast
    to the module's parameter dtype (float32): the SGC under mixed precision. QᵀK
    of large hypercolumn features overflows float16 (max 65504); at the CAM
    resolution the float32 attention costs little."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        dtype = next(self.parameters()).dtype
        args = [a.to(dtype) if isinstance(a, Tensor) and a.dtype in HALF else a
                for a in args]
        kwargs = {k: v.to(dtype) if isinstance(v, Tensor) and v.dtype in HALF else v
                  for k, v in kwargs.items()}
        device = next((a.device.type for a in args if isinstance(a, Tensor)), 'cpu')
        with torch.autocast(device, enabled=False):
            return method(self, *args, **kwargs)
    return wrapper


def resolve_stage_index(index: int, num_stages: int, key: str) -> int:
    """Normalise a (possibly negative) stage index; error names the key and stages."""
    if not isinstance(index, int) or isinstance(index, bool):
        raise TypeError(f'{key} must be an int, got {index!r}')
    if not -num_stages <= index < num_stages:
        raise ValueError(
            f'{key}={index} is out of range: the backbone gives {num_stages} stages '
            f'(valid indices 0..{num_stages - 1} or -{num_stages}..-1)')
    return index % num_stages


@MODELS.register_module()
class SGCHead(BaseModule):
    """Classifier + self-attention Grad-CAM on the backbone stages.

    It consumes the **backbone** outputs (before any neck), a tuple of stages.

    - Classifier (docs/method.md §1, L_x): GAP → dropout → 1×1 conv to ``C-1`` foreground
      classes, on stage ``cam_in_index``. Its loss trains the backbone.
    - Grad-CAM (docs/method.md §2): closed form (:func:`grad_cam`) on the same stage, with
      the classifier weights, detached.
    - SGC (docs/method.md §3): hypercolumn of the stages ``hypercolumn_in_index`` resized to
      the CAM resolution and concatenated (detached); key and query 1×1 convs to
      ``attention_dim`` (no bias, no norm, no activation);
      ``A = softmax(QᵀK/√d)`` over keys, invalid (padding / CutOut) keys masked;
      value = normalised foreground CAM; ``out = A·V + V``; background channel;
      1×1 conv (no bias) + BatchNorm → SGC logits ``(N, C, h, w)``.

    BatchNorm without affine scale: the released code used TF-slim ``batch_norm``
    (``center=True, scale=False``) after a bias-free conv, i.e. a learnable shift
    and no scale. We reproduce exactly that: ``BatchNorm2d(affine=False)`` plus a
    learnable per-class bias ``out_bias`` (a frozen ``weight=1`` parameter would
    also work but would sit in the optimizer with weight decay rules to fix).
    The BN always normalises with batch statistics ("training mode in both
    branches", docs/method.md §3), also during a no-grad weak pass and under ``model.eval()``;
    its running statistics are updated for inspection only.

    Args:
        in_channels (Sequence[int]): channels of *every* backbone output, in order
            (e.g. ``(256, 512, 1024, 2048)`` for ResNet-50).
        num_classes (int): C, classes including background; must equal the decode
            head's.
        cam_in_index (int): stage of the classifier and Grad-CAM (default -1).
        hypercolumn_in_index (Sequence[int]): stages of the hypercolumn (default the
            last two; ``(-1,)`` / ``(3,)`` = the "no hypercolumn" ablation).
        attention_dim (int): key/query channels (128).
        dropout_ratio (float): classifier dropout (0.5).
        background (str): ``'released'`` (default): ``2 − max_c(out)`` prepended
            after propagation; ``'paper'``: ``1 − max_c(CAM)`` prepended to the value
            before propagation.
        align_corners (bool): for the bilinear resizing of the hypercolumn and of
            the SGC logits (to the label map for L_sa, to the decoder logits for
            the pseudo label). True as the released code (core/train_utils_core.py
            lines 178-182; train_wss.py lines 417-420;
            third_party/deeplab/utils/train_utils.py lines 88-92).
        loss_sa (dict): mmseg loss config for L_sa (default cross-entropy averaged
            over non-ignored pixels, name ``loss_sa``).
        loss_cls_weight (float): weight of L_x (sigmoid BCE, mean over classes and
            images).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 num_classes: int,
                 cam_in_index: int = -1,
                 hypercolumn_in_index: Union[int, Sequence[int]] = (-2, -1),
                 attention_dim: int = 128,
                 dropout_ratio: float = 0.5,
                 background: str = 'released',
                 align_corners: bool = True,
                 loss_sa: Optional[dict] = None,
                 loss_cls_weight: float = 1.0,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if isinstance(in_channels, int):
            in_channels = (in_channels, )
        self.in_channels = tuple(int(c) for c in in_channels)
        if not self.in_channels:
            raise ValueError('sgc_head.in_channels must list the channels of every '
                             'backbone output')
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f'sgc_head.num_classes must be an int >= 2 (background '
                             f'+ foreground), got {num_classes!r}')
        if background not in BACKGROUNDS:
            raise ValueError(f'sgc_head.background must be one of {BACKGROUNDS}, '
                             f'got {background!r}')
        n = len(self.in_channels)
        self.num_classes = num_classes
        self.cam_in_index = resolve_stage_index(cam_in_index, n,
                                                'sgc_head.cam_in_index')
        if isinstance(hypercolumn_in_index, int):
            hypercolumn_in_index = (hypercolumn_in_index, )
        if len(hypercolumn_in_index) == 0:
            raise ValueError('sgc_head.hypercolumn_in_index must name at least one '
                             'stage')
        self.hypercolumn_in_index = tuple(
            resolve_stage_index(i, n, 'sgc_head.hypercolumn_in_index')
            for i in hypercolumn_in_index)
        self.attention_dim = attention_dim
        self.background = background
        self.align_corners = align_corners
        self.loss_cls_weight = float(loss_cls_weight)

        cam_channels = self.in_channels[self.cam_in_index]
        hyper_channels = sum(self.in_channels[i] for i in self.hypercolumn_in_index)
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio > 0 else None
        self.classifier = nn.Conv2d(cam_channels, num_classes - 1, 1)
        self.key = nn.Conv2d(hyper_channels, attention_dim, 1, bias=False)
        self.query = nn.Conv2d(hyper_channels, attention_dim, 1, bias=False)
        self.out_conv = nn.Conv2d(num_classes, num_classes, 1, bias=False)
        self.out_bn = nn.BatchNorm2d(num_classes, affine=False)
        self.out_bias = nn.Parameter(torch.zeros(num_classes))
        if loss_sa is None:
            loss_sa = dict(type='CrossEntropyLoss', use_sigmoid=False,
                           avg_non_ignore=True, loss_weight=1.0, loss_name='loss_sa')
        self.loss_sa_fn = MODELS.build(loss_sa)

    # ---------------------------------------------------------------- inputs
    def check_inputs(self, feats: Union[Tensor, Sequence[Tensor]]) -> Tuple[Tensor]:
        """Backbone outputs as a tuple; error if they disagree with ``in_channels``
        (``PseudoSeg`` calls it where the backbone outputs come out; the other
        methods trust their input)."""
        if isinstance(feats, Tensor):
            feats = (feats, )
        feats = tuple(feats)
        if len(feats) != len(self.in_channels):
            raise ValueError(
                f'sgc_head.in_channels lists {len(self.in_channels)} stages '
                f'{self.in_channels} but the backbone gives {len(feats)} outputs with '
                f'channels {tuple(f.shape[1] for f in feats)}')
        for i in set(self.hypercolumn_in_index) | {self.cam_in_index}:
            if feats[i].shape[1] != self.in_channels[i]:
                raise ValueError(
                    f'sgc_head.in_channels[{i}]={self.in_channels[i]} but backbone '
                    f'stage {i} has {feats[i].shape[1]} channels')
        return feats

    # ------------------------------------------------------------ classifier
    def classify(self, feats: Sequence[Tensor], dropout: bool = True) -> Tensor:
        """Image-level logits ``(N, C-1)`` (GAP → dropout → 1×1 conv, docs/method.md §1).

        ``dropout=False`` skips the dropout (class selection on the weak view).
        """
        x = feats[self.cam_in_index].mean(dim=(2, 3), keepdim=True)
        if dropout and self.dropout is not None:
            x = self.dropout(x)
        return self.classifier(x).flatten(1)

    def cam(self, feats: Sequence[Tensor], image_labels: Tensor) -> Tensor:
        """Normalised foreground Grad-CAM ``(N, C-1, h, w)``, detached (docs/method.md §2)."""
        return grad_cam(feats[self.cam_in_index], self.classifier.weight,
                        image_labels)

    def hypercolumn(self, feats: Sequence[Tensor], size: Sequence[int]) -> Tensor:
        """Detached hypercolumn ``(N, ΣK, h, w)`` at the CAM resolution (docs/method.md §3)."""
        parts = []
        for i in self.hypercolumn_in_index:
            f = feats[i].detach()
            if tuple(f.shape[-2:]) != tuple(size):
                f = F.interpolate(f, size=tuple(size), mode='bilinear',
                                  align_corners=self.align_corners)
            parts.append(f)
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)

    # ------------------------------------------------------------- attention
    @full_precision
    def propagate(self, value: Tensor, hypercolumn: Tensor,
                  key_valid: Optional[Tensor] = None) -> Tensor:
        """``A·V + V`` with ``A = softmax(QᵀK / √d)`` over the valid keys (docs/method.md §3).

        Args:
            value: ``(N, C', h, w)`` (detached CAM, with the background channel in
                the ``'paper'`` variant).
            hypercolumn: ``(N, ΣK, h, w)`` (detached).
            key_valid: ``(N, h, w)`` bool, False for padding/CutOut positions,
                which are masked out as keys. An image with no valid key attends
                to all positions (avoids a 0/0).

        Returns:
            ``(N, C', h, w)``. One batched attention (``scaled_dot_product_attention``,
            memory-efficient kernels on GPU), no loop over pixels.
        """
        n, _, h, w = value.shape
        q = self.query(hypercolumn).flatten(2).transpose(1, 2)  # (N, hw, d)
        k = self.key(hypercolumn).flatten(2).transpose(1, 2)  # (N, hw, d)
        v = value.flatten(2).transpose(1, 2).to(q.dtype)  # (N, hw, C')
        mask = None
        if key_valid is not None:
            kv = key_valid.reshape(n, h * w).bool()
            kv = kv | ~kv.any(dim=1, keepdim=True)
            mask = kv[:, None, None, :]  # (N, 1, 1, hw), True = attend
        out = F.scaled_dot_product_attention(
            q[:, None], k[:, None], v[:, None], attn_mask=mask,
            scale=1.0 / math.sqrt(self.attention_dim))[:, 0]
        return out.transpose(1, 2).reshape(n, -1, h, w) + value.to(out.dtype)

    @full_precision
    def attend(self, cam: Tensor, hypercolumn: Tensor,
               key_valid: Optional[Tensor] = None) -> Tensor:
        """SGC logits ``(N, C, h, w)`` from the CAM (value) and hypercolumn.

        Background channel (``background`` option), then 1×1 conv and BatchNorm
        with batch statistics plus the learnable shift ``out_bias``.

        Args:
            cam: ``(N, C-1, h, w)`` normalised foreground CAM (detached here).
            hypercolumn: ``(N, ΣK, h, w)`` (detached).
            key_valid: ``(N, h, w)`` bool, see :meth:`propagate`.
        """
        value = cam.detach()
        if self.background == 'paper':
            value = torch.cat([1 - value.amax(dim=1, keepdim=True), value], dim=1)
        out = self.propagate(value, hypercolumn, key_valid)
        if self.background == 'released':
            out = torch.cat([2 - out.amax(dim=1, keepdim=True), out], dim=1)
        out = self.out_conv(out)
        out = F.batch_norm(out, self.out_bn.running_mean, self.out_bn.running_var,
                           training=True, momentum=self.out_bn.momentum,
                           eps=self.out_bn.eps)
        return out + self.out_bias.view(1, -1, 1, 1).to(out.dtype)

    def forward(self, feats: Sequence[Tensor], image_labels: Tensor,
                valid_mask: Optional[Tensor] = None) -> Tensor:
        """SGC logits ``(N, C, h, w)`` at the CAM stage's resolution.

        Args:
            feats: backbone outputs (all stages).
            image_labels: ``(N, C-1)`` multi-hot classes for the CAM.
            valid_mask: ``(N, H, W)`` bool at any resolution (nearest-downsampled
                to the CAM's), False = key masked out.
        """
        cam = self.cam(feats, image_labels)
        size = cam.shape[-2:]
        key_valid = None if valid_mask is None else downsample_valid(
            valid_mask, size, 'nearest')
        return self.attend(cam, self.hypercolumn(feats, size), key_valid)

    # ----------------------------------------------------------------- losses
    def loss_sa(self, sgc_logits: Tensor, gt_sem_seg: Tensor,
                ignore_index: int = 255) -> Dict[str, Tensor]:
        """L_sa: CE of the upsampled SGC logits vs the label map (docs/method.md §1).

        ``gt_sem_seg``: ``(N, H, W)`` or ``(N, 1, H, W)`` long, ``ignore_index``
        ignored. Returns ``{'loss_sa': ..., 'acc_sa': ...}``; ``acc_sa`` (%) is the
        pixel accuracy of the SGC's argmax taken at its own resolution and
        nearest-upsampled (a cheap monitor, not the loss's resolution).
        """
        if gt_sem_seg.dim() == 4:
            gt_sem_seg = gt_sem_seg[:, 0]
        logits = F.interpolate(sgc_logits, size=gt_sem_seg.shape[-2:],
                               mode='bilinear', align_corners=self.align_corners)
        loss = self.loss_sa_fn(logits, gt_sem_seg, ignore_index=ignore_index)
        with torch.no_grad():  # cheap: argmax at SGC resolution, nearest-upsampled
            pred = F.interpolate(sgc_logits.argmax(dim=1, keepdim=True).float(),
                                 size=gt_sem_seg.shape[-2:], mode='nearest')[:, 0]
            valid = gt_sem_seg != ignore_index
            correct = (pred.long() == gt_sem_seg) & valid
            acc = correct.sum() * 100.0 / valid.sum().clamp_min(1)
        return {self.loss_sa_fn.loss_name: loss, 'acc_sa': acc}

    def loss_cls(self, cls_logits: Tensor, image_labels: Tensor) -> Dict[str, Tensor]:
        """L_x: sigmoid BCE, mean over classes and images (docs/method.md §1).

        Returns ``{'loss_cls': ..., 'acc': ...}``; ``acc`` (%) is the share of
        (image, class) decisions ``sigmoid >= 0.5`` that match the labels.
        """
        labels = image_labels.to(torch.float32)
        loss = F.binary_cross_entropy_with_logits(cls_logits.float(), labels)
        with torch.no_grad():
            acc = ((cls_logits >= 0) == (labels >= 0.5)).float().mean() * 100.0
        return {'loss_cls': self.loss_cls_weight * loss, 'acc': acc}

    # --------------------------------------------------------------- helpers
    def labels_from_seg(self, gt_sem_seg: Tensor, ignore_index: int = 255) -> Tensor:
        """Foreground classes present in each label map: ``(N, C-1)`` float.

        ``gt_sem_seg``: ``(N, [1,] H, W)`` long; background 0 and ``ignore_index``
        are not classes. A value outside ``[0, C)`` other than ``ignore_index``
        raises (from ``scatter``).
        """
        c = self.num_classes
        idx = gt_sem_seg.reshape(gt_sem_seg.shape[0], -1).long()
        idx = torch.where(idx == ignore_index, torch.full_like(idx, c), idx)
        present = torch.zeros(idx.shape[0], c + 1, device=idx.device)
        present.scatter_(1, idx, 1.0)
        return present[:, 1:c]
