"""DeepLab's aligned Xception-65 as an mmseg backbone (docs/method.md §3, §7).

Architecture and module/parameter names follow timm's ``XceptionAligned`` /
``xception65`` (``timm/models/xception_aligned.py``), a port of the TensorFlow DeepLab
model the paper used, so timm's ImageNet weights (``timm/xception65.tf_in1k``) load
with ``init_cfg=dict(type='Pretrained', checkpoint=PATH)`` without key remapping
(``head.fc.*`` is reported as unexpected and ignored). Convert the downloaded
safetensors file once to a plain state dict (weights-only loadable)::

    python -c "import torch; from safetensors.torch import load_file; \
torch.save(load_file('model.safetensors'), 'checkpoints/xception65_tf_in1k.pth')"

(timm's ``pytorch_model.bin`` of the same repository is already such a file.) The
weights expect RGB inputs scaled to [-1, 1]: ``mean=std=[127.5] * 3`` in the data
preprocessor.

Layout (``N`` images, input ``(N, 3, H, W)``)::

    stem         conv3x3/2 (32) -> conv3x3 (64)                        stride 2
    blocks.0-2   entry flow, 128 / 256 / 728 channels, each stride 2   stride 16
    blocks.3-18  middle flow, 16 x 728                                 stride 16
    blocks.19    exit flow block 1, (728, 1024, 1024), stride 2
    blocks.20    exit flow block 2, (1536, 1536, 2048), no skip, ReLU inside

Strides beyond ``output_stride`` become dilation (TF DeepLab / timm rule: the block
that would exceed it runs with stride 1 at the current rate, later blocks at the
multiplied rate). At output stride 16, exit-flow blocks 1 and 2 both run at stride
16 and block 2 at dilation 2.

Outputs (``out_indices`` picks from these four, like a ResNet's stages):

====  ===============================================  ========  ==========
idx   feature                                          channels  stride
====  ===============================================  ========  ==========
0     entry flow block 2, after its 2nd separable     256       4
      conv + ReLU (``blocks.1.stack.act3``, timm's
      stride-4 feature; DeepLab's decoder low level)
1     middle flow output (``blocks.18``)               728       16
2     exit flow block 1 output (``blocks.19``)         1024      OS
3     exit flow block 2 output (``blocks.20``)         2048      OS
====  ===============================================  ========  ==========

(``OS`` = ``output_stride``; at OS 8 the middle flow runs at stride 8.) The SGC
hypercolumn of docs/method.md §3 is outputs 2 and 3; the CAM and the ASPP read output 3.
"""
import copy
from typing import List, Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from mmseg.registry import MODELS

__all__ = ['Xception65', 'XCEPTION65_BLOCKS', 'get_padding']

# timm's xception65 block_cfg: entry flow, middle flow, exit flow.
XCEPTION65_BLOCKS = (
    [dict(in_chs=64, out_chs=128, stride=2),
     dict(in_chs=128, out_chs=256, stride=2),
     dict(in_chs=256, out_chs=728, stride=2)]
    + [dict(in_chs=728, out_chs=728, stride=1) for _ in range(16)]
    + [dict(in_chs=728, out_chs=(728, 1024, 1024), stride=2),
       dict(in_chs=1024, out_chs=(1536, 1536, 2048), stride=1, no_skip=True,
            start_with_relu=False)])
# (block index, tap) of the four outputs; 'act3' = inside the block, after the
# ReLU that precedes its third separable conv (timm's feature_info point).
FEATURE_TAPS = ((1, 'act3'), (18, 'out'), (19, 'out'), (20, 'out'))
FEATURE_CHANNELS = (256, 728, 1024, 2048)


def get_padding(kernel_size: int, stride: int = 1, dilation: int = 1) -> int:
    """timm's symmetric padding: ``((s - 1) + d·(k - 1)) // 2``."""
    return ((stride - 1) + dilation * (kernel_size - 1)) // 2


def _three(value: Union[int, Sequence[int]]) -> Tuple[int, int, int]:
    if isinstance(value, int):
        return (value, value, value)
    value = tuple(value)
    if len(value) != 3:
        raise ValueError(f'out_chs must be an int or 3 ints, got {value}')
    return value


class ConvNormAct(nn.Module):
    """Conv (no bias) -> norm -> optional ReLU; names ``conv``/``bn`` as timm's."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1, norm_cfg: Optional[dict] = None,
                 apply_act: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                              padding=get_padding(kernel_size, stride), bias=False)
        self.bn = build_norm_layer(norm_cfg, out_channels)[1]
        self.act = nn.ReLU(inplace=True) if apply_act else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.bn(self.conv(x)))


class SeparableConv2d(nn.Module):
    """Depthwise conv -> norm [-> ReLU] -> pointwise conv -> norm [-> ReLU]."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 stride: int = 1, dilation: int = 1, norm_cfg: Optional[dict] = None,
                 with_act: bool = False) -> None:
        super().__init__()
        self.conv_dw = nn.Conv2d(
            in_channels, in_channels, kernel_size, stride=stride,
            padding=get_padding(kernel_size, stride, dilation), dilation=dilation,
            groups=in_channels, bias=False)
        self.bn_dw = build_norm_layer(norm_cfg, in_channels)[1]
        self.act_dw = nn.ReLU(inplace=True) if with_act else nn.Identity()
        self.conv_pw = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn_pw = build_norm_layer(norm_cfg, out_channels)[1]
        self.act_pw = nn.ReLU(inplace=True) if with_act else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        x = self.act_dw(self.bn_dw(self.conv_dw(x)))
        return self.act_pw(self.bn_pw(self.conv_pw(x)))


class XceptionModule(nn.Module):
    """Three separable convs (+ 1x1 projection shortcut), as timm's module.

    With ``start_with_relu`` each separable conv is preceded by a ReLU (``act1`` not
    in place: its input is the skip) and has none inside; otherwise the ReLUs sit
    inside the separable convs (exit flow block 2).
    """

    def __init__(self, in_chs: int, out_chs: Union[int, Sequence[int]],
                 stride: int = 1, dilation: int = 1, start_with_relu: bool = True,
                 no_skip: bool = False, norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        out_chs = _three(out_chs)
        self.in_channels = in_chs
        self.out_channels = out_chs[-1]
        self.no_skip = no_skip
        if not no_skip and (self.out_channels != in_chs or stride != 1):
            self.shortcut = ConvNormAct(in_chs, self.out_channels, 1, stride=stride,
                                        norm_cfg=norm_cfg, apply_act=False)
        else:
            self.shortcut = None
        self.stack = nn.Sequential()
        channels = in_chs
        for i in range(3):
            if start_with_relu:
                self.stack.add_module(f'act{i + 1}', nn.ReLU(inplace=i > 0))
            self.stack.add_module(f'conv{i + 1}', SeparableConv2d(
                channels, out_chs[i], 3, stride=stride if i == 2 else 1,
                dilation=dilation, norm_cfg=norm_cfg,
                with_act=not start_with_relu))
            channels = out_chs[i]

    def forward(self, x: Tensor, tap: Optional[str] = None):
        """Block output; with ``tap`` (a ``stack`` child name) also that child's
        output: returns ``(out, tapped)``."""
        skip = x
        tapped = None
        for name, layer in self.stack.named_children():
            x = layer(x)
            if name == tap:
                tapped = x
        if self.shortcut is not None:
            skip = self.shortcut(skip)
        if not self.no_skip:
            x = x + skip
        return x if tap is None else (x, tapped)


@MODELS.register_module()
class Xception65(BaseModule):
    """Aligned Xception-65 backbone (DeepLabv3+, docs/method.md §7) with timm's names.

    Args:
        in_channels (int): input channels. Default 3.
        output_stride (int): 8, 16 (default, the paper's) or 32.
        out_indices (Sequence[int]): outputs to return, from the table in the
            module docstring. Default ``(0, 1, 2, 3)``.
        norm_cfg (dict): norm layer config. Default ``BN`` with ``eps=1e-3`` as
            timm/TF (``SyncBN`` for synchronised statistics).
        norm_eval (bool): keep norm layers in eval mode while training (freeze
            their statistics). Default False.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained',
            checkpoint='checkpoints/xception65_tf_in1k.pth')``.

    ``forward(x)``: ``x`` ``(N, 3, H, W)`` -> tuple of the chosen outputs
    ``(N, C_i, ⌈H/s_i⌉, ⌈W/s_i⌉)``.
    """
    arch_channels = FEATURE_CHANNELS

    def __init__(self,
                 in_channels: int = 3,
                 output_stride: int = 16,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 norm_cfg: Optional[dict] = None,
                 norm_eval: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if output_stride not in (8, 16, 32):
            raise ValueError(f'Xception65: output_stride must be 8, 16 or 32, got '
                             f'{output_stride!r}')
        out_indices = tuple(out_indices)
        bad = [i for i in out_indices
               if not isinstance(i, int) or not 0 <= i < len(FEATURE_TAPS)]
        if bad or not out_indices or len(set(out_indices)) != len(out_indices):
            raise ValueError(f'Xception65: out_indices must be distinct ints in '
                             f'0..{len(FEATURE_TAPS) - 1}, got {out_indices!r}')
        if norm_cfg is None:
            norm_cfg = dict(type='BN', eps=1e-3, requires_grad=True)
        self.output_stride = output_stride
        self.out_indices = out_indices
        self.norm_eval = norm_eval
        self.stem = nn.Sequential(
            ConvNormAct(in_channels, 32, 3, stride=2, norm_cfg=norm_cfg),
            ConvNormAct(32, 64, 3, stride=1, norm_cfg=norm_cfg))
        self.blocks = nn.Sequential()
        self.strides: List[int] = []  # output stride of each block
        stride, dilation = 2, 1
        for i, cfg in enumerate(copy.deepcopy(list(XCEPTION65_BLOCKS))):
            cfg['dilation'] = dilation
            if cfg['stride'] > 1:
                if stride * cfg['stride'] > output_stride:
                    dilation *= cfg['stride']
                    cfg['stride'] = 1
                else:
                    stride *= cfg['stride']
            self.blocks.add_module(str(i), XceptionModule(**cfg, norm_cfg=norm_cfg))
            self.strides.append(stride)
        # stride of each output: the tap inside block 1 is before its downsampling
        self.out_strides = tuple(
            (self.strides[b - 1] if b > 0 else 2) if tap == 'act3' else self.strides[b]
            for b, tap in FEATURE_TAPS)
        self.out_channels = tuple(FEATURE_CHANNELS[i] for i in out_indices)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.stem(x)
        taps = {block: (k, tap) for k, (block, tap) in enumerate(FEATURE_TAPS)}
        feats = [None] * len(FEATURE_TAPS)
        last = max(FEATURE_TAPS[i][0] for i in self.out_indices)
        for i, block in enumerate(self.blocks):
            if i > last:
                break
            k, tap = taps.get(i, (None, None))
            if tap == 'act3':
                x, feats[k] = block(x, tap='act3')
            else:
                x = block(x)
                if k is not None:
                    feats[k] = x
        return tuple(feats[i] for i in self.out_indices)

    def train(self, mode: bool = True):
        """Also keeps norm layers in eval mode when ``norm_eval``."""
        super().train(mode)
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
