"""Export to a plain mmseg model: ``tools/export.py`` and ``mmseg_pseudoseg.apis.export``.

Every model kind the configs build is exported from a checkpoint of its real
PseudoSeg model (narrowed where the kind allows, random weights and BN statistics)
and loaded in a fresh Python process that never imports ``mmseg_pseudoseg``, with
mmseg's own ``init_model`` (then a strict load) and ``inference_model``; its
predictions must equal the PseudoSeg model's on the same images.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg.apis import inference_model, init_model
from mmseg.registry import MODELS
from mmseg_pseudoseg.apis import (TRAINING_ONLY_PREFIXES, CheckpointError,
                                  export_stock_model, read_checkpoint,
                                  stock_config, strip_training_only)
from synthetic_voc import VOC_PALETTE
from tiny_backbones import TINY_BACKBONES

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs', 'pseudoseg')
TINY_RESNET = dict(  # ResNetV1c base 8: stage channels (32, 64, 128, 256)
    backbone=dict(base_channels=8, stem_channels=8),
    decode_head=dict(in_channels=256, channels=16, c1_in_channels=32, c1_channels=8),
    sgc_head=dict(in_channels=(32, 64, 128, 256), attention_dim=16))
TINY_HEADS = dict(decode_head=dict(channels=16, c1_channels=8),
                  sgc_head=dict(attention_dim=16))
# model kind -> (experiment config, model overrides). One line per backbone.
MODEL_KINDS = {
    'r101': ('deeplabv3plus_r101_voc_1-16.py', TINY_RESNET),
    'r50': ('deeplabv3plus_r50_voc_1-16.py', TINY_RESNET),
    'xception65': ('deeplabv3plus_xception65_voc_1-16.py', TINY_HEADS),
    'r101_supervised': ('deeplabv3plus_r101_voc_1-16_supervised.py',
                        dict(TINY_RESNET, sgc_head=None)),
    # the other backbones' recipes (the 1/2-GPU recipes share the R101 model)
    **{recipe.split('_voc')[0]: (recipe, TINY_BACKBONES[recipe])
       for recipe in sorted(TINY_BACKBONES)
       if not recipe.startswith('deeplabv3plus_r101_voc_1-16')},
}
EVAL_SIZE = (64, 64)
# ~20-30 s each; r101 and the supervised model stay in the default run
SLOW_KINDS = tuple(k for k in MODEL_KINDS if k not in ('r101', 'r101_supervised'))

# Runs in a fresh interpreter: stock mmseg only.
PLAIN_MMSEG = r'''
import sys
import numpy as np
from mmengine.runner import load_checkpoint
from mmseg.apis import inference_model, init_model
config, checkpoint, out, *images = sys.argv[1:]
model = init_model(config, checkpoint, device='cpu')
load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
results = [inference_model(model, image) for image in images]
np.savez(out, **{f'logits{i}': r.seg_logits.data.numpy() for i, r in enumerate(results)},
         **{f'labels{i}': r.pred_sem_seg.data.numpy() for i, r in enumerate(results)})
assert 'mmseg_pseudoseg' not in sys.modules, 'mmseg_pseudoseg was imported'
print('plain mmseg:', type(model).__name__, type(model.data_preprocessor).__name__,
      type(model.backbone).__name__)
'''


def run(args, cwd=REPO, env_extra=None):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('PYTHONPATH', None)
    env.update(env_extra or {})
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def tiny_config(tmp_path, name: str, overrides: dict, voc_root: str) -> str:
    """A config file deriving from experiment ``name`` with narrowed model parts."""
    model = {k: v for k, v in overrides.items() if v is not None}
    model['data_preprocessor'] = dict(test_cfg=dict(size=EVAL_SIZE))
    model['backbone'] = dict(model.get('backbone', {}), init_cfg=None)
    path = tmp_path / f'tiny_{name}'
    loader = dict(dataset=dict(data_root=voc_root))
    path.write_text(f'_base_ = [{osp.join(CONFIGS, name)!r}]\n'
                    f'model = {model!r}\n'
                    f'val_dataloader = {loader!r}\ntest_dataloader = {loader!r}\n')
    return str(path)


def random_checkpoint(config: str, path: str, seed: int = 0) -> None:
    """The config's model with random weights and BN statistics, saved as a
    training run saves it (``state_dict`` + ``meta`` with ``dataset_meta``)."""
    cfg = Config.fromfile(config)
    init_default_scope('mmseg')
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    gen = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.normal_(0, 0.1, generator=gen)
            module.running_var.uniform_(0.5, 1.5, generator=gen)
    meta = dict(iter=30000, seed=np.int64(seed),  # numpy in meta, as runs write
                dataset_meta=dict(classes=tuple(f'c{i}' for i in range(21)),
                                  palette=VOC_PALETTE))
    torch.save(dict(state_dict=model.state_dict(), meta=meta), path)


def predictions(model, images):
    results = [inference_model(model, image) for image in images]
    return ([r.seg_logits.data.numpy() for r in results],
            [r.pred_sem_seg.data.numpy() for r in results])


def val_images(voc_root, n=3):
    names = sorted(os.listdir(osp.join(voc_root, 'JPEGImages')))[:n]
    return [osp.join(voc_root, 'JPEGImages', n) for n in names]


def export_and_compare(config, ckpt, out_dir, voc_root, tmp_path, opts=()):
    """tools/export.py, then plain mmseg in a fresh process; returns its stdout and
    the exported paths after checking predictions equal PseudoSeg's."""
    name = 'exported'
    proc = run([sys.executable, 'tools/export.py', config, ckpt, out_dir,
                '--name', name] + list(opts), env_extra={'PYTHONPATH': REPO})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    cfg_path, ckpt_path = (osp.join(out_dir, name + ext) for ext in ('.py', '.pth'))
    images = val_images(voc_root)
    script = tmp_path / 'plain_mmseg.py'
    script.write_text(PLAIN_MMSEG)
    out = str(tmp_path / 'plain.npz')
    proc = run([sys.executable, str(script), cfg_path, ckpt_path, out] + images,
               cwd=str(tmp_path), env_extra={'PYTHONPATH': out_dir})
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    plain = np.load(out)
    cfg = Config.fromfile(config)
    if opts:
        cfg.merge_from_dict(dict(o.split('=', 1) for o in opts[1:]))
    ours = init_model(cfg, ckpt, device='cpu')
    logits, labels = predictions(ours, images)
    for i in range(len(images)):
        assert np.array_equal(plain[f'labels{i}'], labels[i])
        np.testing.assert_allclose(plain[f'logits{i}'], logits[i], rtol=1e-5, atol=1e-5)
    return proc.stdout, cfg_path, ckpt_path


def _kinds():
    return [pytest.param(k, marks=[pytest.mark.slow] if k in SLOW_KINDS else [],
                         id=k) for k in MODEL_KINDS]


@pytest.mark.parametrize('kind', _kinds())
def test_export_loads_in_plain_mmseg_with_equal_predictions(kind, voc_root, tmp_path):
    name, overrides = MODEL_KINDS[kind]
    config = tiny_config(tmp_path, name, overrides, voc_root)
    ckpt = str(tmp_path / 'train.pth')
    random_checkpoint(config, ckpt)
    out_dir = str(tmp_path / 'export')
    stdout, cfg_path, ckpt_path = export_and_compare(config, ckpt, out_dir, voc_root,
                                                     tmp_path)
    backbone = Config.fromfile(config).model.backbone.type
    assert f'plain mmseg: EncoderDecoder SegDataPreProcessor {backbone}' in stdout
    text = open(cfg_path).read()
    for word in ('PseudoSeg', 'sgc_head', 'SemiSeg', 'semi_train_cfg', 'mmseg_pseudoseg',
                 'train_dataloader', 'CalibrationMetric', 'pseudo_labeler'):
        assert word not in text, word
    assert "test_pipeline" in text and "IoUMetric" in text
    # weights-only loadable by plain torch; training-only weights gone; meta kept
    assert torch.serialization.get_unsafe_globals_in_checkpoint(ckpt_path) == []
    exported = torch.load(ckpt_path, map_location='cpu', weights_only=True)
    source = torch.load(ckpt, map_location='cpu', weights_only=True)
    assert set(exported['state_dict']) == {
        k for k in source['state_dict'] if not k.startswith(TRAINING_ONLY_PREFIXES)}
    assert exported['meta'] == dict(iter=30000, seed=0, dataset_meta=dict(
        classes=[f'c{i}' for i in range(21)], palette=VOC_PALETTE))
    if kind != 'r101_supervised':
        assert any(k.startswith('sgc_head.') for k in source['state_dict'])


def test_export_of_a_trained_checkpoint(trained_pseudoseg, voc_root, tmp_path):
    """The smoke run's checkpoint (a real Runner's, message hub and all)."""
    out_dir = str(tmp_path / 'export')
    export_and_compare(trained_pseudoseg['config'], trained_pseudoseg['checkpoint'],
                       out_dir, voc_root, tmp_path, opts=trained_pseudoseg['opts'])
    exported = torch.load(osp.join(out_dir, 'exported.pth'), weights_only=True)
    assert exported['meta']['iter'] == 2
    assert exported['meta']['dataset_meta']['classes'][0] == 'background'


def test_read_checkpoint_names_file_and_reason(tmp_path):
    refused = tmp_path / 'refused.pth'  # an object weights-only loading refuses
    torch.save(dict(state_dict={}, meta=argparse.Namespace(a=1)), refused)
    with pytest.raises(CheckpointError) as err:
        read_checkpoint(str(refused))
    assert str(err.value).startswith(
        f'checkpoint {refused} needs objects that weights-only loading refuses '
        '(argparse.Namespace)')
    tensor = tmp_path / 'tensor.pth'
    torch.save(torch.zeros(2), tensor)
    with pytest.raises(CheckpointError, match=f'checkpoint {tensor} holds a Tensor, '
                       'not a dict of tensors'):
        read_checkpoint(str(tensor))
    with pytest.raises(FileNotFoundError, match='checkpoint not found: .*nope.pth'):
        read_checkpoint(str(tmp_path / 'nope.pth'))


def test_strip_training_only_removes_every_prefix():
    state = {'backbone.conv.weight': 1, 'sgc_head.fc.weight': 2,
             'ema_teacher.backbone.conv.weight': 3, 'decode_head.conv_seg.bias': 5}
    assert strip_training_only(state) == {'backbone.conv.weight': 1,
                                          'decode_head.conv_seg.bias': 5}
    assert TRAINING_ONLY_PREFIXES == ('sgc_head.', 'ema_teacher.')


def test_stock_config_maps_our_components_to_stock_ones(voc_root, tmp_path):
    config = tiny_config(tmp_path, 'deeplabv3plus_r101_voc_1-16.py', TINY_RESNET,
                         voc_root)
    stock, modules = stock_config(Config.fromfile(config))
    assert modules == []
    assert stock.model.type == 'EncoderDecoder'
    assert stock.model.data_preprocessor.type == 'SegDataPreProcessor'
    assert stock.model.data_preprocessor.test_cfg == dict(size=EVAL_SIZE)
    assert stock.test_dataloader.dataset.type == 'BaseSegDataset'
    assert stock.test_dataloader.dataset.data_prefix == dict(
        img_path='JPEGImages', seg_map_path='SegmentationClass')
    assert stock.test_dataloader.dataset.metainfo.classes[0] == 'background'
    assert stock.test_evaluator == dict(type='IoUMetric', iou_metrics=['mIoU'])
    assert 'custom_imports' not in stock and 'model_wrapper_cfg' not in stock
    assert 'custom_hooks' not in stock and 'optim_wrapper' not in stock


def test_export_names_mismatching_keys(voc_root, tmp_path):
    r101 = tiny_config(tmp_path, 'deeplabv3plus_r101_voc_1-16.py', TINY_RESNET,
                       voc_root)
    ckpt = str(tmp_path / 'r101.pth')
    random_checkpoint(r101, ckpt)
    narrow = dict(TINY_RESNET, decode_head=dict(TINY_RESNET['decode_head'],
                                                num_classes=5))
    other = tiny_config(tmp_path, 'deeplabv3plus_r50_voc_1-16.py', narrow, voc_root)
    source = torch.load(ckpt, weights_only=True)
    with pytest.raises(CheckpointError) as err:  # the class count comes first
        export_stock_model(Config.fromfile(other), source, str(tmp_path / 'out'), 'x',
                           source=ckpt)
    assert str(err.value) == (
        f'checkpoint {ckpt} was trained on 21 classes (c0, c1, c2, c3, c4, c5, ...) '
        f'but config {other} has 5 classes (decode_head.num_classes=5) -- pass the '
        'config the checkpoint was trained with.')
    del source['meta']['dataset_meta']  # then the weights, key by key
    with pytest.raises(CheckpointError) as err:
        export_stock_model(Config.fromfile(other), source, str(tmp_path / 'out'), 'x',
                           source=ckpt)
    msg = str(err.value)
    assert msg.startswith(f'checkpoint {ckpt} does not fit the model of this config')
    assert 'decode_head.conv_seg.weight: checkpoint (21, 16, 1, 1) vs model ' \
           '(5, 16, 1, 1)' in msg
    assert 'unexpected (306): backbone.layer3.6.conv1.weight; backbone.layer3.6.bn1.' \
           'weight; backbone.layer3.6.bn1.bias (+303 more)' in msg  # R101's extra blocks
    assert not osp.exists(str(tmp_path / 'out' / 'x.pth'))  # nothing written


@pytest.mark.parametrize('content, reason', [
    (None, 'truncated'), (b'not a checkpoint\n', 'not a PyTorch checkpoint')])
def test_export_tool_names_a_bad_checkpoint(content, reason, trained_pseudoseg,
                                            tmp_path):
    bad = tmp_path / 'bad.pth'
    if content is None:  # the first half of a real checkpoint
        data = open(trained_pseudoseg['checkpoint'], 'rb').read()
        content = data[:len(data) // 2]
    bad.write_bytes(content)
    proc = run([sys.executable, 'tools/export.py', trained_pseudoseg['config'],
                str(bad), str(tmp_path / 'out')] + trained_pseudoseg['opts'])
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'CheckpointError: checkpoint {bad} cannot be read '), last
    assert reason in last, last
