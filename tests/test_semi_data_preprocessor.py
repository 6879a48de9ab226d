"""SemiSegDataPreProcessor (docs/batch_format.md): the stock preprocessor per branch."""
import copy

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.structures import PixelData
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmseg_pseudoseg  # noqa: F401

CFG = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
           bgr_to_rgb=True, size=(12, 12), pad_val=0, seg_pad_val=255)
BRANCHES = ('sup', 'weak', 'strong')


def _sample(branch, h, w, seg_value=None, seed=0):
    g = torch.Generator().manual_seed(seed)
    img = torch.randint(0, 256, (3, h, w), generator=g, dtype=torch.uint8)
    ds = SegDataSample(metainfo=dict(branch=branch, img_path=f'{branch}{seed}.jpg'))
    if seg_value is not None:
        ds.gt_sem_seg = PixelData(
            data=torch.full((1, h, w), seg_value, dtype=torch.int64))
    return img, ds


def _labelled(seed):
    img, ds = _sample('sup', 10, 9, seg_value=3, seed=seed)
    return {'inputs': {'sup': img, 'weak': None, 'strong': None},
            'data_samples': {'sup': ds, 'weak': None, 'strong': None}}


def _extra(seed):
    weak_img, weak = _sample('weak', 11, 12, seed=seed)
    strong_img, strong = _sample('strong', 11, 12, seg_value=0, seed=seed + 50)
    strong.gt_sem_seg.data[0, 2:4, 3:6] = 255  # CutOut box
    return {'inputs': {'sup': None, 'weak': weak_img, 'strong': strong_img},
            'data_samples': {'sup': None, 'weak': weak, 'strong': strong}}


@pytest.fixture
def batch():
    return pseudo_collate([_labelled(0), _labelled(1), _extra(2), _extra(3),
                           _extra(4)])


def test_training_batch_is_split_per_branch(batch):
    pre = MODELS.build(dict(type='SemiSegDataPreProcessor', **CFG))
    stock = SegDataPreProcessor(**CFG)
    out = pre(copy.deepcopy(batch), training=True)
    assert set(out) == {'inputs', 'data_samples'}
    assert set(out['inputs']) == set(out['data_samples']) == set(BRANCHES)
    sizes = {'sup': 2, 'weak': 3, 'strong': 3}
    for branch in BRANCHES:
        inputs = out['inputs'][branch]
        assert inputs.shape == (sizes[branch], 3, 12, 12)
        assert inputs.dtype == torch.float32
        keep = [k for k, x in enumerate(batch['inputs'][branch]) if x is not None]
        expected = stock(dict(
            inputs=[batch['inputs'][branch][k] for k in keep],
            data_samples=copy.deepcopy([batch['data_samples'][branch][k]
                                        for k in keep])), training=True)
        torch.testing.assert_close(inputs, expected['inputs'])
        for got, ref in zip(out['data_samples'][branch], expected['data_samples']):
            assert got.metainfo['branch'] == branch
            assert got.metainfo['padding_size'] == ref.metainfo['padding_size']
            if 'gt_sem_seg' in ref:
                assert torch.equal(got.gt_sem_seg.data, ref.gt_sem_seg.data)


def test_padding_mean_colour_and_ignore(batch):
    pre = MODELS.build(dict(type='SemiSegDataPreProcessor', **CFG))
    out = pre(batch, training=True)
    sup = out['inputs']['sup']
    assert (sup[:, :, 10:, :] == 0).all() and (sup[:, :, :, 9:] == 0).all()
    sup_seg = out['data_samples']['sup'][0].gt_sem_seg.data
    assert (sup_seg[:, 10:] == 255).all() and (sup_seg[:, :10, :9] == 3).all()
    valid = out['data_samples']['strong'][0].gt_sem_seg.data[0]
    assert valid.shape == (12, 12)
    assert (valid[11:] == 255).all() and (valid[2:4, 3:6] == 255).all()
    assert int((valid == 0).sum()) == 11 * 12 - 6
    meta = out['data_samples']['strong'][0].metainfo
    assert list(meta['padding_size']) == [0, 0, 0, 1]
    assert 'gt_sem_seg' not in out['data_samples']['weak'][0]


def test_empty_branch_is_left_out():
    batch = pseudo_collate([_labelled(0), _labelled(1)])
    out = MODELS.build(dict(type='SemiSegDataPreProcessor', **CFG))(batch, True)
    assert list(out['inputs']) == ['sup'] and list(out['data_samples']) == ['sup']


def test_eval_and_plain_inputs_are_stock():
    pre = MODELS.build(dict(type='SemiSegDataPreProcessor', **CFG))
    stock = SegDataPreProcessor(**CFG)
    imgs = [_sample('x', 10, 9, seed=s)[0] for s in range(2)]
    samples = [_sample('x', 10, 9, seg_value=1, seed=s)[1] for s in range(2)]
    for training in (False, True):
        data = dict(inputs=imgs, data_samples=samples)
        got = pre(copy.deepcopy(data), training)
        ref = stock(copy.deepcopy(data), training)
        torch.testing.assert_close(got['inputs'], ref['inputs'])
        assert len(got['data_samples']) == 2