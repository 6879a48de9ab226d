"""Helpers of the baselines' reference implementations (tests/test_baselines_*.py):
the authors' tensors built directly from a model-factory batch."""
import copy

import torch
import torch.nn.functional as F

from model_factory import build, deeplabv3plus_r18


def baseline_model(segmentor: str, seed: int = 0, **semi_train_cfg):
    """Tiny DeepLabv3+ of ``segmentor`` without dropout in the decode head and
    without an auxiliary head (so a reference needs no random numbers for them)."""
    torch.manual_seed(seed)
    cfg = deeplabv3plus_r18(segmentor='EncoderDecoder', with_aux=False)
    cfg.update(type=segmentor, semi_train_cfg=semi_train_cfg)
    cfg['decode_head']['dropout_ratio'] = 0.0
    model = build(cfg)
    model.train()
    if model.ema_teacher is not None:
        model.init_teacher(copy_student=True)
    return model


def net(model, x):
    """The authors' network output: decoder logits upsampled to the input size
    (bilinear, align_corners=False as the decode head)."""
    logits = model.decode_head.forward(model.backbone(x))
    return F.interpolate(logits, size=x.shape[-2:], mode='bilinear',
                         align_corners=False)


def ignore_mask(samples):
    """UniMatch's ``ignore_mask``: 255 where the strong validity map is not 0."""
    valid = torch.stack([s.gt_sem_seg.data[0] for s in samples])
    return torch.where(valid == 0, 0, 255)


def box_of(samples, shape):
    """``(N, H, W)`` float CutMix boxes from the metainfo ``cutmix_box``."""
    boxes = torch.zeros(len(samples), *shape)
    for i, s in enumerate(samples):
        y0, x0, y1, x1 = s.metainfo['cutmix_box']
        boxes[i, y0:y1, x0:x1] = 1
    return boxes


def gt_of(samples):
    return torch.stack([s.gt_sem_seg.data[0] for s in samples])


def total(losses):
    return sum(v for k, v in losses.items() if 'loss' in k)


def assert_same_gradients(model, ref, model_loss, ref_loss):
    """Both losses' gradients, parameter by parameter (the model and its copy)."""
    model_loss.backward()
    ref_loss.backward()
    theirs = dict(ref.named_parameters())
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        assert param.grad is not None, name
        torch.testing.assert_close(param.grad, theirs[name].grad, rtol=1e-4,
                                   atol=1e-6, msg=name)


def copy_of(model):
    return copy.deepcopy(model)
