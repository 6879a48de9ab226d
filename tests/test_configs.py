"""The config family: every config trains one iteration on tiny trees.

Each experiment config under ``configs/pseudoseg/`` is loaded as a user would
(``Config.fromfile``), shrunk only where a test must stay small (tiny synthetic VOC / COCO
trees, 32 px crops, 8 px CutOut, 2 + 2 images per batch, no workers, no pretrained
download), and trained for one iteration by a real mmengine Runner with its real
model, datasets, sampler, hooks and optimizer. The headline recipe's effective
values are pinned, every derived config is checked to differ from its recipe only
where it should, and bad input (missing split file, a batch that does not add up)
fails early with a clear message. ``tools/make_self_training_labels.py`` is tested
against a direct reimplementation.
"""
import glob
import math
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from PIL import Image

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg_pseudoseg.utils import iter_config_dicts
from synthetic_folder import make_folder_tree
from synthetic_voc import make_sample, make_voc_tree
from tool_module import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(REPO, 'configs', 'pseudoseg')
# the plumbing smoke configs (tests/test_plumbing.py runs them)
LEAD_CONFIGS = ('smoke_', )
HEADLINE = 'deeplabv3plus_r101_voc_1-16.py'
CROP = (32, 32)
VOC_SPLITS = ('1-16', '1-8', '1-4', '1-2')
COCO_SPLITS = ('1-32', '1-64', '1-128', '1-256', '1-512')


def experiment_configs():
    paths = glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    names = [osp.relpath(p, CONFIG_DIR) for p in paths]
    return sorted(n for n in names if '_base_' not in n.split(os.sep)
                  and not osp.basename(n).startswith(LEAD_CONFIGS))


# One of each kind stays in the default run; the rest are marked slow (each builds
# a full ResNet-101 / Xception-65 model: a few seconds apiece on 2 cores).
DEFAULT_RUN = {
    HEADLINE,                                       # VOC, unlabelled extra data
    'deeplabv3plus_r101_voc_1-16_imglabels.py',     # VOC, image-level labels
    'deeplabv3plus_r101_voc_1-16_supervised.py',    # supervised baseline
    'deeplabv3plus_xception65_coco_1-32.py',        # COCO, 81 classes, Xception-65
    'deeplabv3plus_xception65_voc_1-16.py',         # the Xception-65 VOC variant
    'deeplabv3plus_r101_voc_1-16_abl-src-sgc.py',   # an ablation
}


def load(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIG_DIR, name))


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope='module')
def voc_tree(tmp_path_factory):
    """Tiny VOC tree plus every split file the configs name."""
    root = str(tmp_path_factory.mktemp('cfg_voc'))
    lists = make_voc_tree(root, n_train=12, n_val=3, n_aug_only=6, size=(40, 48))
    semi = osp.join(root, 'ImageSets', 'SegmentationSemi')
    os.makedirs(semi)
    for k, split in enumerate(VOC_SPLITS):
        for seed in (1, 2, 3):
            start = (k + seed) % 8
            with open(osp.join(semi, f'{split}_seed{seed}.txt'), 'w') as f:
                f.write('\n'.join(lists['train'][start:start + 4]) + '\n')
    with open(osp.join(root, 'ImageSets', 'Segmentation', 'aug.txt'), 'w') as f:
        train = set(lists['train'])
        f.write('\n'.join(i for i in lists['trainaug'] if i not in train) + '\n')
    return root


@pytest.fixture(scope='module')
def coco_tree(tmp_path_factory):
    """Tiny COCO-object tree in the layout of ``SemiCOCOObjectDataset``."""
    root = str(tmp_path_factory.mktemp('cfg_coco'))
    rng = np.random.default_rng(1)
    ids = {'train2017': [f'train2017/{i:012d}' for i in range(1, 11)],
           'val2017': [f'val2017/{i:012d}' for i in range(100, 103)]}
    os.makedirs(osp.join(root, 'ImageSets', 'SegmentationSemi'))
    for split, members in ids.items():
        os.makedirs(osp.join(root, split))
        os.makedirs(osp.join(root, 'masks', split))
        for img_id in members:
            image, label = make_sample(rng, 40, 48)
            # spread VOC's 1..20 over COCO's 1..80 (ignore 255 kept)
            thing = (label > 0) & (label < 255)
            label[thing] = label[thing] * 3 + 20
            Image.fromarray(image).save(osp.join(root, img_id + '.jpg'), quality=95)
            Image.fromarray(label, mode='L').save(
                osp.join(root, 'masks', img_id + '.png'))
        with open(osp.join(root, 'ImageSets', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(members) + '\n')
    for k, split in enumerate(COCO_SPLITS):
        with open(osp.join(root, 'ImageSets', 'SegmentationSemi',
                           f'{split}_seed1.txt'), 'w') as f:
            f.write('\n'.join(ids['train2017'][k:k + 3]) + '\n')
    return root


def tiny(cfg: Config, roots: dict, work_dir: str, tag: str,
         labelled: int = 2, extra: int = 2) -> Config:
    """The allowed shrinking: data roots, crop, CutOut, batch, workers, no
    pretrained download, one iteration, no validation, no checkpoint files."""
    def fix(node):
        if 'data_root' in node and 'type' in node:
            node['data_root'] = roots[node['type']]
        if 'crop_size' in node:  # RandomCrop, SemiFolderTrainDataset
            node['crop_size'] = CROP
        if node.get('type') == 'RandomCutOut':
            node['cutout_shape'] = (8, 8)
        if node.get('type') == 'PaddedCutOut':
            node.update(crop_size=CROP, box_size=(8, 8))

    for node in iter_config_dicts(cfg):
        fix(node)
    model = cfg.model
    model.data_preprocessor.size = CROP
    model.data_preprocessor.test_cfg = dict(size=CROP)
    model.backbone.init_cfg = None
    model.pretrained = None
    loader = cfg.train_dataloader
    has_extra = loader.batch_sampler.extra_per_gpu > 0
    loader.batch_sampler.labelled_per_gpu = labelled
    loader.batch_sampler.extra_per_gpu = extra if has_extra else 0
    loader.batch_size = labelled + (extra if has_extra else 0)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].num_workers = 0
        cfg[key].persistent_workers = False
    cfg.train_cfg.max_iters = 1
    cfg.train_cfg.val_begin = 2  # no validation unless a test asks for it
    cfg.default_hooks.checkpoint.save_last = False
    cfg.default_hooks.logger.interval = 1
    for hook in cfg.get('custom_hooks', []):
        if hook['type'] == 'PseudoLabelHook':
            hook.update(interval=1, num_panels=1)
    cfg.work_dir = work_dir
    cfg.experiment_name = tag
    cfg.visualizer.name = f'vis_{tag}'
    cfg.log_level = 'WARNING'
    return cfg


def tiny_model(cfg: Config) -> None:
    """Swap the backbone for a ResNetV1c-18 (base 8) where only the pipeline,
    hooks or checks are under test (keeps checkpoints and the run small)."""
    cfg.model.backbone = dict(
        type='ResNetV1c', depth=18, base_channels=8, stem_channels=8, num_stages=4,
        out_indices=(0, 1, 2, 3), strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2),
        norm_cfg=dict(type='BN', requires_grad=True), contract_dilation=True)
    cfg.model.decode_head.update(in_channels=64, channels=16, c1_in_channels=8,
                                 c1_channels=8)
    if cfg.model.get('sgc_head'):
        cfg.model.sgc_head.update(in_channels=(8, 16, 32, 64), attention_dim=16)


@pytest.fixture(scope='module')
def roots(voc_tree, coco_tree, tmp_path_factory):
    folder = make_folder_tree(str(tmp_path_factory.mktemp('cfg_folder')),
                              n_labelled=4, n_unlabelled=4, n_val=2, size=(40, 48))
    return {'SemiVOCDataset': voc_tree, 'SemiCOCOObjectDataset': coco_tree,
            'SemiFolderTrainDataset': folder, 'SemiFolderDataset': folder}


def _loss_names(runner):
    return {k[len('train/'):] for k in runner.message_hub.log_scalars
            if k.startswith('train/') and 'loss' in k}


# --------------------------------------------------- every config, one iteration
def _params():
    out = []
    for name in experiment_configs():
        marks = [] if name in DEFAULT_RUN or name.startswith('demo/') else \
            [pytest.mark.slow]
        out.append(pytest.param(name, marks=marks, id=name[:-3]))
    return out


def test_default_run_covers_every_kind():
    names = experiment_configs()
    assert DEFAULT_RUN <= set(names)
    assert len(names) >= 48


@pytest.mark.parametrize('name', _params())
def test_config_trains_one_iteration(name, roots, tmp_path, request):
    torch.manual_seed(0)
    if 'self-training' in name:
        request.getfixturevalue('self_training_labels')
    cfg = load(name)
    semi = cfg.model.type == 'PseudoSeg'
    cfg = tiny(cfg, roots, str(tmp_path), name.replace('/', '_')[:-3])
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    scalars = runner.message_hub.log_scalars
    assert math.isfinite(scalars['train/loss'].current())
    sampler = runner.train_loop.dataloader.batch_sampler
    assert type(sampler).__name__ == 'SemiBatchSampler'
    assert sampler.labelled_per_gpu == 2
    losses = _loss_names(runner)
    if semi and cfg.model.get('sgc_head') is None:  # released use_attention=False
        assert losses == {'loss', 'sup.decode.loss_ce', 'unsup.loss_u'}, losses
    elif semi:
        assert sampler.extra_per_gpu == 2
        assert {'sup.decode.loss_ce', 'unsup.loss_u', 'sgc.loss_sa',
                'cls.loss_cls'} <= losses, losses
        model = runner.model
        if cfg.model.semi_train_cfg.get('use_image_labels'):
            assert model.semi_train_cfg.use_image_labels
        # PseudoLabelHook ran on this iteration (confidence of each source)
        assert 'train/pseudo_label/conf_fused' in scalars
    else:
        assert 'decode.loss_ce' in losses, losses
    if 'jitter-simclr' in name:
        extra = runner.train_loop.dataloader.dataset.datasets[1]
        jitter = extra.pipeline.transforms[-1].branch_pipelines['strong'].transforms[0]
        s = float(name.split('-s')[-1][:-3])
        assert jitter.preset == 'simclr' and jitter.brightness == pytest.approx(0.8 * s)
        assert jitter.hue == pytest.approx(0.2 * s) and jitter.prob == 0.8
        assert jitter.gray_prob == 0.2


def test_headline_validates_and_keeps_best_and_final_checkpoint(roots, tmp_path):
    """Evaluation (IoU + ECE) at the end of training; the best-mIoU checkpoint and
    the final one are both written (tiny backbone: only the hooks are tested)."""
    cfg = tiny(load(HEADLINE), roots, str(tmp_path), 'headline_val')
    tiny_model(cfg)
    cfg.train_cfg.update(max_iters=2, val_interval=2, val_begin=1)
    cfg.param_scheduler[0].end = 2
    cfg.default_hooks.checkpoint.update(interval=2, save_last=True)
    runner = Runner.from_cfg(cfg)
    runner.train()
    files = sorted(os.listdir(tmp_path))
    assert 'iter_2.pth' in files and 'best_mIoU_iter_2.pth' in files, files
    scalars = runner.message_hub.log_scalars
    assert {'val/mIoU', 'val/ECE'} <= set(scalars)
    # the poly schedule reached its end: lr 0 after the last step
    assert runner.optim_wrapper.get_lr()['lr'][0] == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------- the pinned recipe
def test_headline_recipe_values():
    cfg = load(HEADLINE)
    model = cfg.model
    assert model.type == 'PseudoSeg'
    bb = model.backbone
    assert (bb.type, bb.depth) == ('ResNetV1c', 101)
    assert bb.init_cfg == dict(type='Pretrained', checkpoint='open-mmlab://resnet101_v1c')
    assert tuple(bb.strides) == (1, 2, 2, 1) and tuple(bb.dilations) == (1, 1, 1, 2)
    assert bb.norm_cfg.type == 'BN'
    head = model.decode_head
    assert head.type == 'DepthwiseSeparableASPPHead'
    assert tuple(head.dilations) == (1, 6, 12, 18)
    assert head.num_classes == 21 and head.c1_in_channels == 256
    assert model.sgc_head.in_channels == (256, 512, 1024, 2048)
    assert tuple(model.sgc_head.hypercolumn_in_index) == (-2, -1)
    labeler = model.pseudo_labeler
    assert (labeler.gamma, labeler.temperature) == (0.5, 0.5)
    assert (labeler.norm, labeler.source, labeler.hard, labeler.threshold) == \
        ('rms', 'fusion', False, 0.0)
    assert model.semi_train_cfg.unsup_weight == 1.0
    assert not model.semi_train_cfg.use_image_labels
    # crop 513 everywhere it appears
    assert tuple(model.data_preprocessor.size) == (513, 513)
    assert tuple(model.data_preprocessor.test_cfg.size) == (513, 513)
    nodes = list(iter_config_dicts(cfg.train_dataloader))
    crops = [n['crop_size'] for n in nodes if n.get('type') == 'RandomCrop']
    cutouts = [(n['crop_size'], n['box_size'], n['fill_in']) for n in nodes
               if n.get('type') == 'PaddedCutOut']
    assert [tuple(c) for c in crops] == [(513, 513), (513, 513)]
    assert [tuple(map(tuple, c)) for c in cutouts] == \
        [((513, 513), (100, 100), (103.53, 116.28, 123.675))]
    assert model.sgc_head.dropout_ratio == 0.0  # ResNet path: no classifier dropout
    # optimisation
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == \
        ('SGD', 0.007, 0.9, 4e-5)
    assert len(cfg.param_scheduler) == 1  # no warm-up
    poly = cfg.param_scheduler[0]
    assert (poly.type, poly.power, poly.eta_min, poly.begin, poly.end) == \
        ('PolyLR', 0.9, 0.0, 0, 30000)
    assert cfg.train_cfg.max_iters == 30000 and cfg.train_cfg.val_interval == 2000
    # batch: 8 labelled + 8 extra per GPU; lr scaling counts both sources
    loader = cfg.train_dataloader
    assert loader.batch_size == 16
    assert (loader.batch_sampler.labelled_per_gpu,
            loader.batch_sampler.extra_per_gpu) == (8, 8)
    assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=128)
    labelled, extra = loader.dataset.datasets
    assert labelled.ann_file == 'ImageSets/SegmentationSemi/1-16_seed1.txt'
    assert (extra.ann_file, extra.with_masks) == \
        ('ImageSets/Segmentation/trainaug.txt', False)
    ckpt = cfg.default_hooks.checkpoint
    assert (ckpt.save_best, ckpt.interval, ckpt.save_last) == ('mIoU', 2000, True)
    assert model.test_cfg.mode == 'whole'
    assert cfg.custom_imports.imports == ['mmseg_pseudoseg']


def test_headline_model_has_output_stride_16():
    """Built from the config: the last stage at stride 16, the decoder's low-level
    feature at stride 4, logits at stride 4."""
    from mmseg.registry import MODELS
    cfg = load(HEADLINE)
    cfg.model.backbone.init_cfg = None
    backbone = MODELS.build(cfg.model.backbone)
    backbone.eval()  # (mmseg's ResNet.train returns None)
    with torch.no_grad():
        feats = backbone(torch.randn(1, 3, 64, 96))
    assert [tuple(f.shape[-2:]) for f in feats] == [(16, 24), (8, 12), (4, 6), (4, 6)]
    assert [f.shape[1] for f in feats] == [256, 512, 1024, 2048]


def test_other_settings_pinned():
    high = load('deeplabv3plus_r101_voc-train_coco-train2017.py')
    assert (high.model.pseudo_labeler.gamma, high.model.pseudo_labeler.temperature) == \
        (0.3, 0.7)
    assert high.train_cfg.max_iters == 90000 and high.param_scheduler[0].end == 90000
    labelled, extra = high.train_dataloader.dataset.datasets
    assert labelled.type == 'SemiVOCDataset' and extra.type == 'SemiCOCOObjectDataset'
    assert labelled.ann_file == 'ImageSets/Segmentation/train.txt'  # 1,464 labelled
    assert (extra.ann_file, extra.with_masks) == ('ImageSets/train2017.txt', False)
    high_sup = load('deeplabv3plus_r101_voc-train_90k_supervised.py')
    assert high_sup.train_dataloader.dataset.ann_file == \
        'ImageSets/Segmentation/train.txt'
    assert high_sup.train_cfg.max_iters == 90000
    coco = load('deeplabv3plus_xception65_coco_1-32.py')
    assert coco.model.decode_head.num_classes == 81
    assert tuple(coco.model.data_preprocessor.test_cfg.size) == (641, 641)
    assert coco.model.backbone.type == 'Xception65'
    assert coco.model.sgc_head.in_channels == (256, 728, 1024, 2048)
    assert coco.train_cfg.max_iters == 200000 and coco.train_cfg.val_interval == 10000
    assert coco.default_hooks.checkpoint.interval == 10000
    assert coco.param_scheduler[0].end == 200000
    assert coco.model.data_preprocessor.mean == [127.5] * 3
    sup = load('deeplabv3plus_r101_voc_1-16_supervised.py')
    assert sup.model.type == 'EncoderDecoder'
    assert sup.train_dataloader.batch_size == 8
    assert sup.train_dataloader.batch_sampler.extra_per_gpu == 0
    assert sup.auto_scale_lr.base_batch_size == 64
    head = load(HEADLINE)
    # the baseline shares the recipe's network and schedule
    for key in ('backbone', 'decode_head', 'test_cfg'):
        assert sup.model[key] == head.model[key], key
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg', 'default_hooks'):
        assert sup[key] == head[key], key
    img = load('deeplabv3plus_r101_voc_1-16_imglabels.py')
    assert img.model.semi_train_cfg.use_image_labels
    extra = img.train_dataloader.dataset.datasets[1]
    assert extra.with_masks
    strong = extra.pipeline[-1].strong
    assert [t['type'] for t in strong] == ['StrongColorJitter', 'PaddedCutOut',
                                           'ImageLevelLabels', 'PackSemiSegInputs']


# ------------------------------------------- derived configs change only their key
def flatten(node, prefix=''):
    out = {}
    if isinstance(node, dict):
        for key, value in node.items():
            out.update(flatten(value, f'{prefix}{key}.'))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            out.update(flatten(value, f'{prefix}{i}.'))
        if not node:
            out[prefix[:-1]] = node
    else:
        out[prefix[:-1]] = node
    return out


def diff(name, recipe):
    a, b = flatten(load(name).to_dict()), flatten(load(recipe).to_dict())
    return {k for k in set(a) | set(b) if a.get(k, '<absent>') != b.get(k, '<absent>')}


LABELLED = 'train_dataloader.dataset.datasets.0.ann_file'
EXTRA = 'train_dataloader.dataset.datasets.1'
STRONG = EXTRA + '.pipeline.6.strong.0'  # index 6: MultiView
HEAD = HEADLINE[len('deeplabv3plus_'):-3]
DERIVED = [
    ('r101_voc_1-16_abl-src-sgc', HEAD,
     {'model.pseudo_labeler.source'}),
    ('r101_voc_1-16_abl-hard', HEAD, {'model.pseudo_labeler.hard'}),
    ('r101_voc_1-16_abl-no-sharpen', HEAD,
     {'model.pseudo_labeler.temperature'}),
    ('r101_voc_1-16_abl-no-norm', HEAD, {'model.pseudo_labeler.norm'}),
    ('r101_voc_1-16_abl-no-hypercolumn', HEAD,
     {'model.sgc_head.hypercolumn_in_index.0', 'model.sgc_head.hypercolumn_in_index.1'}),
    ('r101_voc_1-16_abl-jitter-simclr-s0.5', HEAD,
     {STRONG + '.preset', STRONG + '.strength'}),
    ('r101_voc_1-16_seed2', HEAD, {'labelled_split', LABELLED}),
    ('r101_voc_1-8', HEAD, {'labelled_split', LABELLED}),
    ('r101_voc_full', HEAD,
     {'labelled_split', LABELLED, 'extra_split', EXTRA + '.ann_file'}),
    ('r101_voc_1-4_imglabels', 'r101_voc_1-16_imglabels',
     {'labelled_split', LABELLED}),
    ('r101_voc_1-2_supervised', 'r101_voc_1-16_supervised',
     {'labelled_split', 'train_dataloader.dataset.ann_file'}),
    ('xception65_coco_1-512', 'xception65_coco_1-32',
     {'labelled_split', LABELLED, EXTRA + '.exclude_split'}),
    ('r50_voc_1-16', HEAD,
     {'model.backbone.depth', 'model.backbone.init_cfg.checkpoint'}),
    ('r101_voc-train_coco-train2017', HEAD, None),
    ('r101_voc_1-16_abl-src-decoder', HEAD, 'no-sgc'),
]


@pytest.mark.parametrize('name,recipe,expected', DERIVED, ids=[d[0] for d in DERIVED])
def test_derived_config_changes_only_its_setting(name, recipe, expected):
    changed = diff(f'deeplabv3plus_{name}.py', f'deeplabv3plus_{recipe}.py')
    if expected == 'no-sgc':  # released use_attention=False: the SGC head is gone
        assert {k for k in changed if not k.startswith('model.sgc_head.')} == \
            {'model.sgc_head', 'model.pseudo_labeler.source'}
        return
    if expected is None:  # high data: model, optimiser and hooks stay the recipe's
        assert not {k for k in changed if k.startswith(('model.backbone',
                                                        'model.decode_head',
                                                        'model.sgc_head',
                                                        'optim_wrapper',
                                                        'default_hooks'))}
        assert 'model.pseudo_labeler.gamma' in changed
        return
    assert changed == expected


def test_every_config_names_its_experiment():
    """Each experiment file opens with a one-line comment naming its model-zoo row
    (configs/pseudoseg/README.md; tests/test_model_zoo.py checks the row itself)."""
    for name in experiment_configs():
        with open(osp.join(CONFIG_DIR, name), encoding='utf-8') as f:
            first = f.readline()
        assert first.startswith(('# Model zoo: ', '# Paper Table 7',
                                 '# Embedded demo')), (name, first)


# ------------------------------------------------------------------ bad input
def test_missing_split_file_fails_before_any_worker(roots, tmp_path):
    cfg = tiny(load(HEADLINE), roots, str(tmp_path), 'missing_split')
    tiny_model(cfg)
    cfg.train_dataloader.num_workers = 2
    cfg.train_dataloader.persistent_workers = True
    missing = 'ImageSets/SegmentationSemi/1-16_seed9.txt'
    cfg.train_dataloader.dataset.datasets[0].ann_file = missing
    runner = Runner.from_cfg(cfg)
    with pytest.raises(FileNotFoundError) as err:
        runner.train()
    message = str(err.value)
    assert osp.join(roots['SemiVOCDataset'], missing) in message
    assert 'tools/make_splits.py' in message
    assert 'worker' not in message  # raised in the main process, at construction
    assert 'train/loss' not in runner.message_hub.log_scalars


def test_batch_not_divisible_between_sources_is_an_error(roots, tmp_path):
    cfg = tiny(load(HEADLINE), roots, str(tmp_path), 'bad_batch')
    tiny_model(cfg)
    cfg.train_dataloader.batch_size = 3  # but 2 labelled + 2 extra
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r'batch_size=3 must equal labelled_per_gpu '
                                         r'\+ extra_per_gpu = 2 \+ 2'):
        runner.train()
    assert 'train/loss' not in runner.message_hub.log_scalars


# ---------------------------------------------------- self-training pseudo labels
TEACHER = 'deeplabv3plus_r101_voc_1-16_supervised.py'


@pytest.fixture(scope='module')
def teacher(tmp_path_factory, voc_tree):
    """A tiny supervised teacher config (inherits the real baseline) + checkpoint."""
    from mmseg.registry import MODELS
    folder = tmp_path_factory.mktemp('teacher')
    cfg_path = folder / 'teacher.py'
    cfg_path.write_text(
        f"_base_ = ['{osp.join(CONFIG_DIR, TEACHER)}']\n"
        "model = dict(\n"
        "    backbone=dict(depth=18, base_channels=8, stem_channels=8, init_cfg=None),\n"
        "    decode_head=dict(in_channels=64, channels=16, c1_in_channels=8,\n"
        "                     c1_channels=8),\n"
        "    data_preprocessor=dict(test_cfg=dict(size=(48, 56))))\n"
        f"val_dataloader = dict(dataset=dict(data_root='{voc_tree}'))\n")
    cfg = Config.fromfile(str(cfg_path))
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    # a teacher confident (class 3) on part of each image only: p(3) ~ 0.5 at zero
    # feature response, pushed up or down by a strongly weighted feature
    with torch.no_grad():
        model.decode_head.conv_seg.bias[3] = math.log(20.0)
        model.decode_head.conv_seg.weight[3] *= 5000.0
    ckpt = folder / 'teacher.pth'
    torch.save({'state_dict': model.state_dict()}, str(ckpt))
    return str(cfg_path), str(ckpt), model


def run_tool(args):
    tool = load_tool('make_self_training_labels.py')
    return tool, tool.main(args)


@pytest.fixture(scope='module')
def self_training_labels(teacher, voc_tree):
    cfg_path, ckpt, _ = teacher
    out = osp.join(voc_tree, 'SelfTrainingLabels', '1-16_seed1')
    _, summary = run_tool([cfg_path, ckpt, '--out', out, '--device', 'cpu',
                           '--num-workers', '0'])
    return out, summary


def test_self_training_labels_match_the_teacher(teacher, self_training_labels,
                                                voc_tree):
    from mmengine.dataset import Compose, pseudo_collate
    out, summary = self_training_labels
    with open(osp.join(voc_tree, 'ImageSets', 'Segmentation', 'trainaug.txt')) as f:
        ids = f.read().split()
    assert sorted(os.listdir(out)) == sorted(i + '.png' for i in ids)
    assert summary['written'] == len(ids)
    assert 0 < summary['ignored_fraction'] < 1
    _, _, model = teacher
    model.eval()
    pipeline = Compose([dict(type='LoadImageFromFile'), dict(type='PackSegInputs')])
    for img_id in ids[:3]:
        data = pipeline(dict(img_path=osp.join(voc_tree, 'JPEGImages', img_id + '.jpg'),
                             seg_fields=[], reduce_zero_label=False))
        with torch.no_grad():
            logits = model.test_step(pseudo_collate([data]))[0].seg_logits.data
        probs = logits.softmax(0).numpy()
        expected = probs.argmax(0)
        expected[probs.max(0) < 0.5] = 255
        written = np.array(Image.open(osp.join(out, img_id + '.png')))
        np.testing.assert_array_equal(written, expected)
        assert written.shape == probs.shape[1:]


def test_self_training_tool_threshold_and_shards(teacher, tmp_path):
    cfg_path, ckpt, _ = teacher
    tool, _ = run_tool([cfg_path, ckpt, '--out', str(tmp_path / 'all'), '--device',
                        'cpu', '--num-workers', '0', '--threshold', '0',
                        '--shard', '1/2'])
    files = sorted(os.listdir(tmp_path / 'all'))
    assert len(files) == 9  # ids 1, 3, ..., 17 of the 18 train_aug ids
    for name in files:
        assert 255 not in np.unique(np.array(Image.open(tmp_path / 'all' / name)))
    logits = torch.tensor([[[2.0, 0.0]], [[0.0, 0.1]], [[-1.0, 0.0]]])  # (3, 1, 2)
    label = tool.pseudo_label(logits, 0.5)
    # pixel 0: p(class 0) = e^2/(e^2+1+e^-1) = 0.84 -> 0; pixel 1: max p 0.36 -> 255
    np.testing.assert_array_equal(label, [[0, 255]])
    with pytest.raises(SystemExit):
        tool.parse_args([cfg_path, ckpt, '--out', 'x', '--shard', '2/2'])


def test_self_training_tool_progress_and_summary_line(teacher, tmp_path, capsys):
    """A resumed run labels only what is missing and its last line says so."""
    cfg_path, ckpt, _ = teacher
    out = str(tmp_path / 'labels')
    common = [cfg_path, ckpt, '--out', out, '--device', 'cpu', '--num-workers', '0',
              '--threshold', '0']
    run_tool(common + ['--shard', '0/2'])
    capsys.readouterr()
    _, summary = run_tool(common + ['--skip-existing'])
    printed = capsys.readouterr().out
    assert '9/9' in printed and 'task/s' in printed and 'ETA' in printed
    assert printed.rstrip().splitlines()[-1] == (
        f'9 label maps written to {out}; skipped 9 (9 already there '
        '(--skip-existing)); 0.0% of the pixels written are below confidence 0.0 '
        '(255)')
    assert (summary['written'], summary['skipped_existing']) == (9, 9)
    assert len(os.listdir(out)) == 18
