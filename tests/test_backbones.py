"""Every backbone recipe, tiny: one full PseudoSeg step, one Runner iteration and a
stock-checkpoint export (tests/tiny_backbones.py holds the tiny overrides)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmseg_pseudoseg  # noqa: F401
from mmseg.registry import MODELS
from tiny_backbones import (CONFIGS, TINY_BACKBONES, build_and_batch,
                            tiny_recipe_cfg)

BACKBONE_RECIPES = [
    'deeplabv3plus_r101_voc_1-16.py',
    'deeplabv3plus_r50-os8_voc_1-16.py',
    'deeplabv3plus_mobilenetv2_voc_1-16.py',
    'segformer_mit-b2_voc_1-16.py',
    'swin_t_upernet_voc_1-16.py',
    'vit_b16_upernet_voc_1-16.py',
]
# Output strides of the backbone outputs, and the stride of the CAM / SGC.
STRIDES = {
    'deeplabv3plus_r101_voc_1-16.py': ((4, 8, 16, 16), 16),
    'deeplabv3plus_r50-os8_voc_1-16.py': ((4, 8, 8, 8), 8),
    'deeplabv3plus_mobilenetv2_voc_1-16.py': ((4, 8, 16, 16), 16),
    'segformer_mit-b2_voc_1-16.py': ((4, 8, 16, 32), 32),
    'swin_t_upernet_voc_1-16.py': ((4, 8, 16, 32), 32),
    'vit_b16_upernet_voc_1-16.py': ((16, 16, 16, 16), 16),
}
SEMI_LOSSES = ('sup.decode.loss_ce', 'unsup.loss_u', 'cls.loss_cls', 'sgc.loss_sa')


def test_every_backbone_recipe_has_a_tiny_variant():
    import glob
    recipes = {osp.basename(p) for p in glob.glob(osp.join(CONFIGS, '*.py'))}
    assert set(BACKBONE_RECIPES) <= recipes and set(TINY_BACKBONES) <= recipes
    for recipe in BACKBONE_RECIPES:
        real = Config.fromfile(osp.join(CONFIGS, recipe)).model
        tiny = TINY_BACKBONES[recipe]
        assert tiny['backbone'].get('init_cfg', 'x') is None  # no download in tests
        # the tiny variant keeps the recipe's architecture and SGC stage choice
        assert real.sgc_head.cam_in_index == -1
        assert tuple(real.sgc_head.hypercolumn_in_index) == (-2, -1)
        assert len(real.sgc_head.in_channels) == len(tiny['sgc_head']['in_channels'])
        assert real.backbone.get('init_cfg') is not None  # real weights in recipes


@pytest.mark.parametrize('recipe', BACKBONE_RECIPES)
def test_one_pseudoseg_step(recipe, voc_root, tmp_path):
    """Labelled + weak + strong branches through the recipe's backbone: every loss
    finite, every trainable parameter gets a finite gradient (so DDP needs no
    unused-parameter search), the optimizer moves the weights, and the SGC reads
    the documented stages at the documented strides."""
    cfg = tiny_recipe_cfg(recipe, voc_root, str(tmp_path))
    model, data = build_and_batch(cfg)
    strong = data['inputs']['strong']
    with torch.no_grad():
        stages = model.backbone(strong)
    strides, cam_stride = STRIDES[recipe]
    assert tuple(strong.shape[-1] // s.shape[-1] for s in stages) == strides
    hyper = model.sgc_head.hypercolumn_in_index
    assert hyper == (len(stages) - 2, len(stages) - 1)
    assert strong.shape[-1] // stages[model.sgc_head.cam_in_index].shape[-1] == \
        cam_stride

    losses = model(**data, mode='loss')
    for key in SEMI_LOSSES:
        assert torch.isfinite(losses[key]), (key, losses[key])
    loss, _ = model.parse_losses(losses)
    loss.backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    idle = [n for n, p in trainable if p.grad is None]
    assert idle == []
    assert all(torch.isfinite(p.grad).all() for _, p in trainable)
    from mmengine.optim import build_optim_wrapper
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = model.sgc_head.key.weight.detach().clone()
    wrapper.step()
    assert not torch.equal(before, model.sgc_head.key.weight)


def stock_cfg(model_cfg):
    """The recipe's model as a plain mmseg EncoderDecoder config."""
    cfg = model_cfg.copy()
    for key in ('sgc_head', 'pseudo_labeler', 'semi_train_cfg'):
        cfg.pop(key, None)
    cfg['type'] = 'EncoderDecoder'
    cfg['data_preprocessor'] = dict(cfg['data_preprocessor'],
                                    type='SegDataPreProcessor')
    return cfg


@pytest.mark.parametrize('recipe', BACKBONE_RECIPES)
def test_runner_iteration_and_stock_export(recipe, voc_root, tmp_path):
    """One Runner iteration of the recipe (tiny), then its checkpoint minus
    ``sgc_head.*`` loads into the stock EncoderDecoder with strict=True and
    predicts exactly what the PseudoSeg model predicts."""
    cfg = tiny_recipe_cfg(recipe, voc_root, str(tmp_path / 'work'))
    cfg.val_cfg = None
    cfg.val_dataloader = None
    cfg.val_evaluator = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    ckpt = torch.load(osp.join(str(tmp_path / 'work'), 'iter_1.pth'),
                      map_location='cpu', weights_only=True)
    state = {k: v for k, v in ckpt['state_dict'].items()
             if not k.startswith('sgc_head.')}
    stock = MODELS.build(stock_cfg(cfg.model))
    stock.load_state_dict(state, strict=True)
    semi = runner.model
    semi.eval()
    stock.eval()
    loader = Runner.build_dataloader(cfg.test_dataloader)
    batch = next(iter(loader))
    with torch.no_grad():
        ours = semi.test_step(batch)[0].seg_logits.data
        theirs = stock.test_step(batch)[0].seg_logits.data
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


@pytest.mark.parametrize('recipe,gpus,accumulate', [
    ('deeplabv3plus_r101_voc_1-16_1gpu.py', 1, 16),
    ('deeplabv3plus_r101_voc_1-16_2gpu.py', 2, 8)])
def test_small_gpu_recipes_keep_the_effective_batch(recipe, gpus, accumulate,
                                                   voc_root, tmp_path):
    headline = Config.fromfile(osp.join(CONFIGS, 'deeplabv3plus_r101_voc_1-16.py'))
    cfg = Config.fromfile(osp.join(CONFIGS, recipe))
    sampler = cfg.train_dataloader.batch_sampler
    per_update = {k: sampler[k] * gpus * cfg.optim_wrapper.accumulative_counts
                  for k in ('labelled_per_gpu', 'extra_per_gpu')}
    head = headline.train_dataloader.batch_sampler
    assert per_update == {k: head[k] * 8 for k in per_update} == \
        dict(labelled_per_gpu=64, extra_per_gpu=64)
    assert cfg.optim_wrapper.accumulative_counts == accumulate
    assert cfg.optim_wrapper.optimizer == headline.optim_wrapper.optimizer
    # 30k optimizer updates, as the headline recipe
    assert cfg.train_cfg.max_iters == 30000 * accumulate
    assert cfg.param_scheduler[0].end == cfg.train_cfg.max_iters
    assert cfg.train_dataloader.batch_size == sampler.labelled_per_gpu + \
        sampler.extra_per_gpu
    # and it builds and runs one iteration on CPU (tiny variant)
    tiny = tiny_recipe_cfg(recipe, voc_root, str(tmp_path / 'work'))
    tiny.val_cfg = tiny.val_dataloader = tiny.val_evaluator = None
    runner = Runner.from_cfg(tiny)
    runner.train()
    assert runner.iter == 1
    assert runner.optim_wrapper._accumulative_counts == accumulate


def test_a_head_that_is_not_softmax_is_refused_at_build(voc_root, tmp_path):
    """A single-channel sigmoid decode head cannot give the per-class probabilities
    the fusion needs: the model refuses it when built, naming both numbers."""
    cfg = tiny_recipe_cfg('segformer_mit-b2_voc_1-16.py', voc_root, str(tmp_path),
                          model=dict(decode_head=dict(
                              num_classes=2, out_channels=1,
                              loss_decode=dict(use_sigmoid=True))))
    init_default_scope('mmseg')
    with pytest.raises(ValueError, match=r'PseudoSeg needs a softmax decode head: '
                                         r'decode_head\.out_channels=1 != '
                                         r'num_classes=2') as err:
        MODELS.build(cfg.model)
    assert str(err.value).splitlines()[-1].startswith(
        'A sigmoid head gives no class distribution for the fusion')
