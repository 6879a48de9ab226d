"""Mixed precision: the PseudoSeg step under bfloat16 autocast matches float32;
the float32 islands (SGC attention and output, Grad-CAM, fusion, soft CE, classifier
loss) stay finite on float16 tensors at extreme magnitudes; ``--amp`` selects
mmengine's AmpOptimWrapper."""
import copy
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import AmpOptimWrapper

import mmseg_pseudoseg  # noqa: F401
from mmseg_pseudoseg.models import SGCHead
from mmseg_pseudoseg.models.pseudo_labels.calibrated_fusion import \
    calibrated_fusion
from mmseg_pseudoseg.models.pseudo_labels.consistency_loss import \
    soft_cross_entropy
from mmseg_pseudoseg.models.pseudo_labels.grad_cam import grad_cam
from tiny_backbones import CONFIGS, build_and_batch, tiny_recipe_cfg
from tool_module import load_tool

FP16_MAX = torch.finfo(torch.float16).max  # 65504


def _losses(model, state, data, autocast: bool):
    model.load_state_dict(state)  # the same BN statistics in both runs
    torch.manual_seed(1)  # the same dropout masks in both runs
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
        losses = model(**data, mode='loss')
    return {k: v.detach() for k, v in losses.items() if 'loss' in k}


@pytest.mark.parametrize('recipe', ['deeplabv3plus_r101_voc_1-16.py',
                                    'segformer_mit-b2_voc_1-16.py'])
def test_bfloat16_step_is_finite_and_close_to_float32(recipe, voc_root, tmp_path):
    cfg = tiny_recipe_cfg(recipe, voc_root, str(tmp_path))
    model, data = build_and_batch(cfg)
    state = copy.deepcopy(model.state_dict())
    sgc_out = []
    model.sgc_head.register_forward_hook(lambda m, i, o: sgc_out.append(o.dtype))
    full = _losses(model, state, data, False)
    mixed = _losses(model, state, data, True)
    assert _losses(model, state, data, False) == full  # the comparison is exact
    assert set(full) == set(mixed) >= {'sup.decode.loss_ce', 'unsup.loss_u',
                                       'cls.loss_cls', 'sgc.loss_sa'}
    for key in full:
        assert torch.isfinite(mixed[key]), key
        assert mixed[key].dtype == torch.float32, key
        # Every loss within 1 % (measured here: at most 0.4 %, L_sa). All SGC
        # arithmetic runs in float32 islands; what is left is the bfloat16
        # rounding of the backbone features that feed Grad-CAM and the
        # hypercolumn (docs/training.md, "Mixed precision").
        assert abs(mixed[key].item() - full[key].item()) <= \
            0.01 * abs(full[key].item()), (key, full[key], mixed[key])
    # the SGC logits (labelled and weak passes) are float32 also under autocast
    assert sgc_out == [torch.float32] * 6


def _head(dim=16, channels=(64, 64)):
    torch.manual_seed(0)
    return SGCHead(in_channels=channels, num_classes=3, attention_dim=dim,
                   hypercolumn_in_index=(0, 1))


def test_attention_float16_extreme_hypercolumn():
    """Hypercolumn values near float16's limit: QᵀK would overflow float16
    (shown below), the head's attention (float32 island) is finite and equals a
    float64 reimplementation."""
    head = _head()
    g = torch.Generator().manual_seed(0)
    hyper = (torch.rand(2, 128, 4, 4, generator=g) * 3e4).half()
    value = torch.rand(2, 2, 4, 4, generator=g).half()
    valid = torch.ones(2, 4, 4, dtype=torch.bool)
    valid[1, :2] = False
    with torch.no_grad():
        wq = head.query.weight[:, :, 0, 0].half()
        q16 = torch.einsum('dk,nkp->npd', wq, hyper.flatten(2))
        assert not torch.isfinite(q16 @ q16.transpose(1, 2)).all()  # plain fp16
        for autocast in (False, True):
            with torch.autocast('cpu', dtype=torch.float16, enabled=autocast):
                out = head.propagate(value, hyper, valid)
            assert out.dtype == torch.float32 and torch.isfinite(out).all()
            # float64 reference: A = softmax(QᵀK/√d) over valid keys; A·V + V
            h64, v64 = hyper.double().flatten(2), value.double().flatten(2)
            q = torch.einsum('dk,nkp->npd', head.query.weight[:, :, 0, 0].double(), h64)
            k = torch.einsum('dk,nkp->npd', head.key.weight[:, :, 0, 0].double(), h64)
            logits = q @ k.transpose(1, 2) / math.sqrt(head.attention_dim)
            logits = logits.masked_fill(~valid.flatten(1)[:, None], float('-inf'))
            ref = (logits.softmax(-1) @ v64.transpose(1, 2)).transpose(1, 2) + v64
            torch.testing.assert_close(out.double().flatten(2), ref, rtol=1e-3,
                                       atol=1e-3)
            with torch.autocast('cpu', dtype=torch.float16, enabled=autocast):
                sgc = head.attend(value[:, :2], hyper, valid)
            assert sgc.dtype == torch.float32 and torch.isfinite(sgc).all()


def test_grad_cam_float16_features_under_autocast():
    g = torch.Generator().manual_seed(0)
    feats = (torch.rand(2, 2048, 4, 4, generator=g) * 5e3).half()
    weight = torch.rand(3, 2048, generator=g) * 0.05
    labels = torch.tensor([[1., 0., 1.], [0., 1., 1.]])
    # the class score Σ_k w·A reaches ~1e5: float16 arithmetic overflows it
    assert not torch.isfinite(torch.einsum('nkhw,ck->nchw', feats,
                                           weight.half())).all()
    with torch.autocast('cpu', dtype=torch.float16):
        cam = grad_cam(feats, weight, labels)
    ref = grad_cam(feats.double(), weight.double(), labels.double())
    assert cam.dtype == torch.float32 and torch.isfinite(cam).all()
    torch.testing.assert_close(cam.double(), ref, rtol=1e-4, atol=1e-5)
    assert cam.amax(dim=(2, 3)).tolist() == [[1., 0., 1.], [0., 1., 1.]]


def test_fusion_and_losses_float16_extreme_logits():
    g = torch.Generator().manual_seed(0)
    dec = ((torch.rand(2, 3, 5, 5, generator=g) * 2 - 1) * 6e4).half()
    sgc = ((torch.rand(2, 3, 5, 5, generator=g) * 2 - 1) * 6e4).half()
    assert not torch.isfinite(dec.square().sum())  # the rms norm in float16
    for autocast in (False, True):
        with torch.autocast('cpu', dtype=torch.float16, enabled=autocast):
            fused = calibrated_fusion(dec, sgc, gamma=0.5, temperature=0.5,
                                      norm='rms')
            strong = ((torch.rand(2, 3, 5, 5, generator=g) * 2 - 1) * 6e4).half()
            valid = torch.ones(2, 5, 5, dtype=torch.bool)
            loss_u = soft_cross_entropy(strong, fused, valid, valid)
            loss_x = _head().loss_cls(strong[:, :2, 0, 0],
                                      torch.tensor([[1., 0.], [0., 1.]]))
        ref = calibrated_fusion(dec.double(), sgc.double(), 0.5, 0.5, 'rms')
        assert fused.dtype == torch.float32 and torch.isfinite(fused).all()
        torch.testing.assert_close(fused.double(), ref, rtol=1e-5, atol=1e-6)
        ref_u = -(ref * F.log_softmax(strong.double(), 1)).sum(1).mean()
        assert loss_u.dtype == torch.float32
        torch.testing.assert_close(loss_u.double(), ref_u, rtol=1e-5, atol=1e-3)
        assert torch.isfinite(loss_x['loss_cls']) and \
            loss_x['loss_cls'].dtype == torch.float32


def _train_tool():
    return load_tool('train.py', 'train_tool')


@pytest.mark.parametrize('recipe', ['deeplabv3plus_r101_voc_1-16.py',
                                    'deeplabv3plus_r101_voc_1-16_1gpu.py',
                                    'segformer_mit-b2_voc_1-16.py',
                                    'vit_b16_upernet_voc_1-16.py'])
def test_amp_flag_selects_amp_optim_wrapper(recipe, tmp_path):
    tool = _train_tool()
    cfg = tool.build_cfg(tool.parse_args([osp.join(CONFIGS, recipe), '--amp',
                                          '--work-dir', str(tmp_path)]))
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    plain = tool.build_cfg(tool.parse_args([osp.join(CONFIGS, recipe),
                                            '--work-dir', str(tmp_path)]))
    assert plain.optim_wrapper.type == 'OptimWrapper'
    # everything else of the optimizer setting is kept (accumulation included)
    assert {k: v for k, v in cfg.optim_wrapper.items()
            if k not in ('type', 'loss_scale')} == \
        {k: v for k, v in plain.optim_wrapper.items() if k != 'type'}
    # the type resolves to mmengine's wrapper (it needs a GPU to be built)
    from mmengine.registry import OPTIM_WRAPPERS
    assert OPTIM_WRAPPERS.get(cfg.optim_wrapper.type) is AmpOptimWrapper
