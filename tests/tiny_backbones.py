"""One tiny override per PseudoSeg backbone recipe, for parametrised tests.

``TINY_BACKBONES[recipe]`` is a ``model`` override (random init, a few channels)
that keeps the recipe's architecture: same backbone and head types, same stage
layout and strides, same SGC stage choice. :func:`tiny_recipe_cfg` loads the real
recipe file, applies the override and points it at a tiny VOC-format tree (crop 64,
batch 2 + 2, no worker processes)::

    @pytest.mark.parametrize('recipe', sorted(TINY_BACKBONES))
    def test_something(recipe, voc_root, tmp_path):
        cfg = tiny_recipe_cfg(recipe, voc_root, str(tmp_path))
        runner = Runner.from_cfg(cfg)
"""
import copy
import os.path as osp
import uuid
from typing import Optional

from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs', 'pseudoseg')
CROP = 64

_R18 = dict(backbone=dict(depth=18, base_channels=8, stem_channels=8, init_cfg=None),
            decode_head=dict(in_channels=64, channels=16, c1_in_channels=8,
                             c1_channels=8, dilations=(1, 2, 3, 4)),
            sgc_head=dict(in_channels=(8, 16, 32, 64), attention_dim=16))

TINY_BACKBONES = {
    # DeepLabv3+ / ResNetV1c, OS 16 (the headline recipe) and OS 8.
    'deeplabv3plus_r101_voc_1-16.py': _R18,
    'deeplabv3plus_r50-os8_voc_1-16.py': _R18,
    # DeepLabv3+ / MobileNetV2 width 0.25: outputs (8, 8, 24, 80) channels.
    'deeplabv3plus_mobilenetv2_voc_1-16.py': dict(
        backbone=dict(widen_factor=0.25, init_cfg=None),
        decode_head=dict(in_channels=80, channels=16, c1_in_channels=8,
                         c1_channels=8, dilations=(1, 2, 3, 4)),
        sgc_head=dict(in_channels=(8, 8, 24, 80), attention_dim=16)),
    # SegFormer: MiT with one block per stage, embed 8 -> (8, 8, 16, 16) channels.
    'segformer_mit-b2_voc_1-16.py': dict(
        backbone=dict(embed_dims=8, num_layers=[1, 1, 1, 1], num_heads=[1, 1, 2, 2],
                      drop_path_rate=0.0, init_cfg=None),
        decode_head=dict(in_channels=[8, 8, 16, 16], channels=16),
        sgc_head=dict(in_channels=(8, 8, 16, 16), attention_dim=16)),
    # Swin: one block per stage, embed 8 -> (8, 16, 32, 64), window 4.
    'swin_t_upernet_voc_1-16.py': dict(
        backbone=dict(embed_dims=8, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2],
                      window_size=4, drop_path_rate=0.0, init_cfg=None),
        decode_head=dict(in_channels=[8, 16, 32, 64], channels=16),
        sgc_head=dict(in_channels=(8, 16, 32, 64), attention_dim=16)),
    # ViT: 4 layers of 16 channels, patch 16 (every output at stride 16).
    'vit_b16_upernet_voc_1-16.py': dict(
        backbone=dict(img_size=(CROP, CROP), embed_dims=16, num_layers=4,
                      num_heads=2, out_indices=(0, 1, 2, 3), drop_path_rate=0.0,
                      init_cfg=None),
        neck=dict(in_channels=[16] * 4, out_channels=16),
        decode_head=dict(in_channels=[16] * 4, channels=16),
        sgc_head=dict(in_channels=(16, ) * 4, attention_dim=16)),
}
# Recipes that change only the data or the GPU layout of the headline model.
TINY_BACKBONES['deeplabv3plus_r101_voc_1-16_1gpu.py'] = _R18
TINY_BACKBONES['deeplabv3plus_r101_voc_1-16_2gpu.py'] = _R18


def shrink_pipeline(pipeline, crop: int = CROP):
    """A copy of a train pipeline with ``RandomCrop`` at ``crop``, scales up to 1.0
    and a ``crop // 4`` CutOut, also inside ``MultiView`` branches."""
    out = []
    for t in copy.deepcopy(list(pipeline)):
        kind = str(t.get('type', '')).split('.')[-1]
        if kind == 'RandomCrop':
            t['crop_size'] = (crop, crop)
        elif kind == 'RandomScaleStep':
            t['ratio_range'] = (0.5, 1.0)
        elif kind == 'RandomCutOut':
            t['cutout_shape'] = (crop // 4, crop // 4)
        for key, value in t.items():
            if isinstance(value, list) and value and all(isinstance(v, dict)
                                                         for v in value):
                t[key] = shrink_pipeline(value, crop)
        out.append(t)
    return out


def tiny_recipe_cfg(recipe: str, voc_root: str, work_dir: str, iters: int = 1,
                    model: Optional[dict] = None) -> Config:
    """The recipe ``configs/pseudoseg/<recipe>`` with its tiny backbone, on the
    synthetic VOC tree ``voc_root`` (labelled = ``train.txt``, extra =
    ``trainaug.txt``), ``iters`` iterations, evaluation only at the end.
    ``model`` adds overrides after the tiny ones."""
    cfg = Config.fromfile(osp.join(CONFIGS, recipe))
    cfg.merge_from_dict(dict(model=copy.deepcopy(TINY_BACKBONES[recipe])))
    if model:
        cfg.merge_from_dict(dict(model=model))
    cfg.model.data_preprocessor.size = (CROP, CROP)
    cfg.model.data_preprocessor.test_cfg = dict(size_divisor=32)
    loader = cfg.train_dataloader
    loader.update(batch_size=4, num_workers=0, persistent_workers=False)
    loader.batch_sampler.update(labelled_per_gpu=2, extra_per_gpu=2)
    labelled, extra = loader.dataset.datasets
    labelled.update(data_root=voc_root, ann_file='ImageSets/Segmentation/train.txt')
    extra.update(data_root=voc_root)
    for dataset in (labelled, extra):
        dataset.pipeline = shrink_pipeline(dataset.pipeline)
    for key in ('val_dataloader', 'test_dataloader'):
        cfg[key].update(num_workers=0, persistent_workers=False)
        cfg[key].dataset.data_root = voc_root
    accumulate = cfg.optim_wrapper.get('accumulative_counts', 1)
    cfg.train_cfg.update(max_iters=iters, val_interval=iters)
    cfg.param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0,
                                end=max(iters, accumulate), by_epoch=False)]
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.update(interval=iters, save_best=None)
    cfg.default_hooks.visualization = dict(type='SegVisualizationHook')
    cfg.visualizer.name = f'tiny_{uuid.uuid4().hex[:8]}'
    cfg.work_dir = work_dir
    return cfg


def build_and_batch(cfg: Config, seed: int = 0):
    """The model of ``cfg`` (initialised, train mode) and the first batch of its
    train loader after the model's data preprocessor. ``random``, numpy and torch
    are seeded with ``seed`` (the transforms draw from numpy's global state), so
    every call gives the same weights and the same batch."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner, set_random_seed
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    set_random_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=seed)
    return model, model.data_preprocessor(next(iter(loader)), True)
