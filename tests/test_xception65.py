"""Xception65 backbone: timm-compatible names, strides, dilation, weight loading."""
import pytest
import torch
import torch.nn.functional as F

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg.registry import MODELS
from mmseg_pseudoseg.models.backbones import Xception65
from mmseg_pseudoseg.models.backbones.xception65 import XceptionModule

BN_KEYS = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')
# timm's xception65: parameter count incl. the 1000-class head (timm model card 39.92M)
TIMM_PARAMS_M = 39.92
HEAD_PARAMS = 2048 * 1000 + 1000


def timm_keys():
    """State-dict keys of timm's ``xception65`` backbone, written out from timm's
    module tree: stem = 2 ConvNormAct; 21 XceptionModules with a ConvNormAct
    shortcut where channels or stride change (blocks 0, 1, 2, 19); each stack has
    conv1..3 = SeparableConv2d(conv_dw, bn_dw, conv_pw, bn_pw)."""
    keys = []
    for i in (0, 1):
        keys += [f'stem.{i}.conv.weight'] + [f'stem.{i}.bn.{k}' for k in BN_KEYS]
    for b in range(21):
        if b in (0, 1, 2, 19):
            keys += [f'blocks.{b}.shortcut.conv.weight']
            keys += [f'blocks.{b}.shortcut.bn.{k}' for k in BN_KEYS]
        for c in (1, 2, 3):
            p = f'blocks.{b}.stack.conv{c}'
            keys += [f'{p}.conv_dw.weight', f'{p}.conv_pw.weight']
            keys += [f'{p}.bn_dw.{k}' for k in BN_KEYS]
            keys += [f'{p}.bn_pw.{k}' for k in BN_KEYS]
    return keys


@pytest.fixture(scope='module')
def net():
    torch.manual_seed(0)
    return MODELS.build(dict(type='Xception65')).eval()


def test_timm_names_shapes_and_parameter_count(net):
    state = net.state_dict()
    assert sorted(state) == sorted(timm_keys())
    shapes = {'stem.0.conv.weight': (32, 3, 3, 3), 'stem.1.conv.weight': (64, 32, 3, 3),
              'blocks.0.shortcut.conv.weight': (128, 64, 1, 1),
              'blocks.1.stack.conv2.conv_pw.weight': (256, 256, 1, 1),
              'blocks.5.stack.conv1.conv_dw.weight': (728, 1, 3, 3),
              'blocks.19.shortcut.conv.weight': (1024, 728, 1, 1),
              'blocks.19.stack.conv3.conv_pw.weight': (1024, 1024, 1, 1),
              'blocks.20.stack.conv3.conv_pw.weight': (2048, 1536, 1, 1)}
    for key, shape in shapes.items():
        assert tuple(state[key].shape) == shape, key
    params = sum(p.numel() for p in net.parameters())
    assert abs((params + HEAD_PARAMS) / 1e6 - TIMM_PARAMS_M) < 0.005
    assert net.stem[0].bn.eps == 1e-3  # timm/TF BatchNorm eps


@pytest.mark.parametrize('output_stride,expected', [
    (16, [(256, 4), (728, 16), (1024, 16), (2048, 16)]),
    (8, [(256, 4), (728, 8), (1024, 8), (2048, 8)]),
    (32, [(256, 4), (728, 16), (1024, 32), (2048, 32)]),
])
def test_output_channels_and_strides(output_stride, expected):
    net = Xception65(output_stride=output_stride).eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        outs = net(x)
    assert len(outs) == 4
    for out, (channels, stride) in zip(outs, expected):
        assert out.shape == (1, channels, 64 // stride, 96 // stride)
    assert net.out_strides == tuple(s for _, s in expected)
    assert net.out_channels == (256, 728, 1024, 2048)


def test_dilation_replaces_stride_in_the_exit_flow(net):
    entry3 = net.blocks[2].stack.conv3.conv_dw
    exit1 = net.blocks[19].stack.conv3.conv_dw
    exit2 = net.blocks[20].stack.conv1.conv_dw
    assert entry3.stride == (2, 2) and entry3.dilation == (1, 1)
    assert exit1.stride == (1, 1) and exit1.dilation == (1, 1)
    assert net.blocks[19].shortcut.conv.stride == (1, 1)
    assert exit2.stride == (1, 1) and exit2.dilation == (2, 2)
    assert exit2.padding == (2, 2)


def test_out_indices_select_and_stop_early():
    net = Xception65(out_indices=(0, 2)).eval()
    with torch.no_grad():
        outs = net(torch.randn(2, 3, 33, 33))
    assert [o.shape[1] for o in outs] == [256, 1024]
    assert outs[0].shape[-2:] == (9, 9) and outs[1].shape[-2:] == (3, 3)
    low = Xception65(out_indices=(0, )).eval()
    low.load_state_dict(net.state_dict())
    with torch.no_grad():
        x = torch.randn(1, 3, 33, 33)
        torch.testing.assert_close(low(x)[0], net(x)[0])


def test_block_equals_its_definition():
    """An entry-flow block against the formula: ReLU -> sep conv (dw, BN, pw, BN),
    three times (stride on the third) + 1x1/2 conv + BN shortcut."""
    torch.manual_seed(1)
    block = XceptionModule(16, 32, stride=2, norm_cfg=dict(type='BN')).eval()
    for m in block.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    x = torch.randn(2, 16, 9, 9)

    def bn(m, t):
        return F.batch_norm(t, m.running_mean, m.running_var, m.weight, m.bias,
                            False, 0.0, m.eps)

    y = x
    for c, stride in ((1, 1), (2, 1), (3, 2)):
        sep = getattr(block.stack, f'conv{c}')
        y = F.relu(y)
        y = F.conv2d(y, sep.conv_dw.weight, stride=stride, padding=1, groups=y.shape[1])
        y = bn(sep.bn_dw, y)
        y = bn(sep.bn_pw, F.conv2d(y, sep.conv_pw.weight))
    skip = bn(block.shortcut.bn, F.conv2d(x, block.shortcut.conv.weight, stride=2))
    with torch.no_grad():
        torch.testing.assert_close(block(x), y + skip)


def test_timm_state_dict_loads_through_init_cfg(tmp_path):
    """A checkpoint with timm's key names (plus timm's classifier) loads with
    ``init_cfg=dict(type='Pretrained')`` onto the same modules."""
    gen = torch.Generator().manual_seed(3)
    state = {
        'stem.0.conv.weight': torch.randn(32, 3, 3, 3, generator=gen),
        'stem.0.bn.running_mean': torch.randn(32, generator=gen),
        'blocks.1.shortcut.conv.weight': torch.randn(256, 128, 1, 1, generator=gen),
        'blocks.20.stack.conv3.bn_pw.weight': torch.randn(2048, generator=gen),
        'blocks.12.stack.conv2.conv_dw.weight': torch.randn(728, 1, 3, 3, generator=gen),
        'head.fc.weight': torch.randn(1000, 2048, generator=gen),
        'head.fc.bias': torch.randn(1000, generator=gen),
    }
    path = tmp_path / 'xception65_tf_in1k.pth'
    torch.save(state, str(path))  # a plain state dict, as the documented one-liner
    net = MODELS.build(dict(type='Xception65', init_cfg=dict(
        type='Pretrained', checkpoint=str(path))))
    before = net.state_dict()['blocks.3.stack.conv1.conv_pw.weight'].clone()
    net.init_weights()
    loaded = net.state_dict()
    for key, value in state.items():
        if key.startswith('head.'):
            assert key not in loaded
            continue
        torch.testing.assert_close(loaded[key], value, msg=key)
    # a layer not in the file keeps its own initialisation
    torch.testing.assert_close(loaded['blocks.3.stack.conv1.conv_pw.weight'], before)


def test_training_mode_gradients_and_norm_eval():
    net = Xception65(out_indices=(0, 3))
    net.train()
    outs = net(torch.randn(2, 3, 32, 32))
    (outs[0].mean() + outs[1].mean()).backward()
    assert net.stem[0].conv.weight.grad is not None
    assert net.blocks[20].stack.conv3.conv_pw.weight.grad.abs().sum() > 0
    frozen = Xception65(norm_eval=True).train()
    assert frozen.training
    assert all(not m.training for m in frozen.modules()
               if isinstance(m, torch.nn.BatchNorm2d))


def test_sync_bn_config_and_bad_arguments():
    sync = Xception65(norm_cfg=dict(type='SyncBN', requires_grad=True))
    assert isinstance(sync.blocks[4].stack.conv2.bn_pw, torch.nn.SyncBatchNorm)
    with pytest.raises(ValueError, match='output_stride must be 8, 16 or 32'):
        Xception65(output_stride=4)
    with pytest.raises(ValueError, match='out_indices'):
        Xception65(out_indices=(0, 4))
    with pytest.raises(ValueError, match='out_indices'):
        Xception65(out_indices=())
