"""Tiny model configs and preprocessed multi-branch batches for model tests.

The batches are what ``SemiSegDataPreProcessor`` returns in training mode
(``docs/batch_format.md``): real ``SegDataSample``/``PixelData`` objects, images
normalised (padding = 0 = the mean colour), labels padded with 255, metainfo with
``img_shape``, ``pad_shape``, ``padding_size=[left, right, top, bottom]``.
"""
import copy
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.structures import PixelData

from mmseg.structures import SegDataSample

NUM_CLASSES = 5
CROP = (64, 64)
# ResNetV1c-18, base 8: stage channels (8, 16, 32, 64); output stride 16.
R18_CHANNELS = (8, 16, 32, 64)


def resnet_v1c(depth: int = 18, base_channels: int = 8, stem_channels: int = 8,
               out_indices: Sequence[int] = (0, 1, 2, 3),
               output_stride: int = 16) -> dict:
    """A ResNetV1c backbone config (random init), OS 16 (default) or 8."""
    if output_stride == 16:
        strides, dilations = (1, 2, 2, 1), (1, 1, 1, 2)
    else:
        strides, dilations = (1, 2, 1, 1), (1, 1, 2, 4)
    return dict(type='ResNetV1c', depth=depth, base_channels=base_channels,
                stem_channels=stem_channels, num_stages=4,
                out_indices=tuple(out_indices), strides=strides,
                dilations=dilations, norm_cfg=dict(type='BN', requires_grad=True),
                norm_eval=False, style='pytorch', contract_dilation=True)


def deeplabv3plus_head(num_classes: int = NUM_CLASSES,
                       in_channels: int = 64, c1_in_channels: int = 8,
                       in_index: int = 3) -> dict:
    return dict(type='DepthwiseSeparableASPPHead', in_channels=in_channels,
                in_index=in_index, channels=16, dilations=(1, 2, 3, 4),
                c1_in_channels=c1_in_channels, c1_channels=8, dropout_ratio=0.1,
                num_classes=num_classes, norm_cfg=dict(type='BN', requires_grad=True),
                align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                 loss_weight=1.0, avg_non_ignore=True))


def fcn_aux_head(num_classes: int = NUM_CLASSES, in_channels: int = 32,
                 in_index: int = 2) -> dict:
    return dict(type='FCNHead', in_channels=in_channels, in_index=in_index,
                channels=8, num_convs=1, concat_input=False, dropout_ratio=0.1,
                num_classes=num_classes, norm_cfg=dict(type='BN', requires_grad=True),
                align_corners=False,
                loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                 loss_weight=0.4, avg_non_ignore=True))


def sgc_head(in_channels: Sequence[int] = R18_CHANNELS, **kwargs) -> dict:
    cfg = dict(type='SGCHead', in_channels=tuple(in_channels), attention_dim=16)
    cfg.update(kwargs)
    return cfg


def deeplabv3plus_r18(segmentor: str = 'PseudoSeg', num_classes: int = NUM_CLASSES,
                      with_aux: bool = True, sgc: Optional[dict] = None,
                      pseudo_labeler: Optional[dict] = None,
                      semi_train_cfg: Optional[dict] = None) -> dict:
    """Tiny DeepLabv3+ (ResNetV1c-18, base 8, OS 16) config; ``segmentor`` is
    ``'PseudoSeg'`` or ``'EncoderDecoder'`` (then the semi keys are dropped)."""
    cfg = dict(type=segmentor, backbone=resnet_v1c(),
               decode_head=deeplabv3plus_head(num_classes),
               auxiliary_head=fcn_aux_head(num_classes) if with_aux else None,
               train_cfg=dict(), test_cfg=dict(mode='whole'))
    if segmentor == 'PseudoSeg':
        cfg['sgc_head'] = sgc_head() if sgc is None else sgc
        if pseudo_labeler is not None:
            cfg['pseudo_labeler'] = pseudo_labeler
        if semi_train_cfg is not None:
            cfg['semi_train_cfg'] = semi_train_cfg
    return cfg


def as_encoder_decoder(cfg: dict) -> dict:
    """The stock EncoderDecoder config of a PseudoSeg config."""
    cfg = copy.deepcopy(cfg)
    cfg['type'] = 'EncoderDecoder'
    for key in ('sgc_head', 'pseudo_labeler', 'semi_train_cfg'):
        cfg.pop(key, None)
    return cfg


# ------------------------------------------------------------------- batches
def _label_map(gen: torch.Generator, num_classes: int, h: int, w: int) -> torch.Tensor:
    """Blocky random labels: background plus up to 3 foreground rectangles."""
    label = torch.zeros(h, w, dtype=torch.long)
    for _ in range(3):
        c = int(torch.randint(1, num_classes, (1, ), generator=gen))
        y0, x0 = (int(v) for v in torch.randint(0, max(h // 2, 1), (2, ), generator=gen))
        dy, dx = (int(v) for v in torch.randint(4, max(h // 2, 5), (2, ), generator=gen))
        label[y0:y0 + dy, x0:x0 + dx] = c
    label[:2, :] = 255  # some ignore pixels (object boundaries in VOC)
    return label


def _sample(branch: str, index: int, size: Tuple[int, int],
            img_shape: Tuple[int, int], gt: Optional[torch.Tensor] = None,
            image_labels: Optional[torch.Tensor] = None) -> SegDataSample:
    h, w = size
    ih, iw = img_shape
    meta = dict(img_path=f'{branch}_{index:03d}.jpg', ori_shape=img_shape,
                img_shape=img_shape, pad_shape=size,
                padding_size=[0, w - iw, 0, h - ih], flip=False, branch=branch)
    sample = SegDataSample(metainfo=meta)
    if gt is not None:
        sample.gt_sem_seg = PixelData(data=gt[None])
    if image_labels is not None:
        sample.gt_image_labels = image_labels
    return sample


def make_semi_batch(num_classes: int = NUM_CLASSES, n_sup: int = 2, n_unsup: int = 2,
                    size: Tuple[int, int] = CROP, pad: Tuple[int, int] = (16, 8),
                    cutout: int = 16, image_labels: bool = False,
                    branches: Sequence[str] = ('sup', 'weak', 'strong'),
                    seed: int = 0) -> Tuple[Dict[str, torch.Tensor], Dict[str, list]]:
    """A preprocessed multi-branch batch.

    The last image of every branch is padded by ``pad=(bottom, right)`` pixels.
    Strong views are the weak views plus noise (jitter) and a ``cutout`` square
    filled with 0 (the mean); their ``gt_sem_seg`` is the validity map (0 valid,
    255 padding/CutOut). With ``image_labels`` every strong (and weak) sample gets
    ``gt_image_labels`` from its hidden label map after CutOut.
    """
    gen = torch.Generator().manual_seed(seed)
    h, w = size
    inputs, samples = {}, {}

    def shape_of(i, n):
        return (h - pad[0], w - pad[1]) if i == n - 1 else (h, w)

    if 'sup' in branches and n_sup:
        imgs, ds = [], []
        for i in range(n_sup):
            ih, iw = shape_of(i, n_sup)
            img = torch.zeros(3, h, w)
            img[:, :ih, :iw] = torch.randn(3, ih, iw, generator=gen)
            gt = torch.full((h, w), 255, dtype=torch.long)
            gt[:ih, :iw] = _label_map(gen, num_classes, ih, iw)
            imgs.append(img)
            ds.append(_sample('sup', i, size, (ih, iw), gt))
        inputs['sup'], samples['sup'] = torch.stack(imgs), ds
    if 'weak' in branches and n_unsup:
        weak, strong, wds, sds = [], [], [], []
        for i in range(n_unsup):
            ih, iw = shape_of(i, n_unsup)
            img = torch.zeros(3, h, w)
            img[:, :ih, :iw] = torch.randn(3, ih, iw, generator=gen)
            hidden = _label_map(gen, num_classes, ih, iw)
            valid = torch.full((h, w), 255, dtype=torch.long)
            valid[:ih, :iw] = 0
            y0 = int(torch.randint(0, ih - cutout + 1, (1, ), generator=gen))
            x0 = int(torch.randint(0, iw - cutout + 1, (1, ), generator=gen))
            valid[y0:y0 + cutout, x0:x0 + cutout] = 255
            s_img = img + 0.3 * torch.randn(3, h, w, generator=gen)
            s_img[:, valid == 255] = 0.0
            labels = None
            if image_labels:
                kept = hidden[valid[:ih, :iw] == 0]
                labels = torch.zeros(num_classes - 1)
                for c in kept.unique().tolist():
                    if 0 < c < num_classes:
                        labels[c - 1] = 1.0
            weak.append(img)
            strong.append(s_img)
            wds.append(_sample('weak', i, size, (ih, iw), None, labels))
            sds.append(_sample('strong', i, size, (ih, iw), valid, labels))
        inputs['weak'], samples['weak'] = torch.stack(weak), wds
        inputs['strong'], samples['strong'] = torch.stack(strong), sds
    return inputs, samples


def build(cfg: dict):
    """Build a model from the mmseg registry as a config file would (ConfigDict)."""
    import mmseg_pseudoseg  # noqa: F401
    from mmengine.config import ConfigDict

    from mmseg.registry import MODELS
    return MODELS.build(ConfigDict(copy.deepcopy(cfg)))


def with_cutmix_boxes(inputs: Dict[str, torch.Tensor], samples: Dict[str, list],
                      strong2: bool = False, seed: int = 1):
    """Add metainfo ``cutmix_box`` (one fixed-seed box per strong sample, one
    empty) and, with ``strong2``, a second strong branch (other noise, other
    boxes) to a :func:`make_semi_batch` batch; returns ``(inputs, samples)``."""
    gen = torch.Generator().manual_seed(seed)
    h, w = inputs['strong'].shape[-2:]
    branches = ['strong'] + (['strong2'] if strong2 else [])
    if strong2:
        inputs['strong2'] = inputs['weak'] + 0.3 * torch.randn(
            inputs['weak'].shape, generator=gen)
        inputs['strong2'][inputs['strong'] == 0] = 0.0  # same CutOut / padding
        samples['strong2'] = [copy.deepcopy(s) for s in samples['strong']]
    for branch in branches:
        for i, sample in enumerate(samples[branch]):
            y0, x0 = (int(v) for v in torch.randint(0, h // 2, (2, ), generator=gen))
            box = [y0, x0, y0 + h // 2, x0 + w // 3] if i < len(
                samples[branch]) - 1 or branch == 'strong2' else [0, 0, 0, 0]
            sample.set_metainfo(dict(cutmix_box=box))
    return inputs, samples
