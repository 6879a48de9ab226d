"""MultiView and the per-view transforms (docs/method.md §5, docs/batch_format.md).

The alignment tests run the real extra pipeline (load -> GenerateValidityMap ->
RandomScaleStep -> RandomCrop -> RandomFlip -> MultiView(weak, strong)) on an image
whose colour encodes the pixel position (lossless PNG), so equal pixels mean equal
source coordinates. Jitter is "undone" by re-applying the jitter parameters to the
weak view: ``ReplayedJitter`` draws them once more from the generator state the
jitter itself drew from; a negative control shows the comparison fails for
independently augmented views.
"""

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from PIL import Image

import mmseg_pseudoseg  # noqa: F401
from mmseg.registry import TRANSFORMS
from mmseg_pseudoseg.datasets.transforms import (ImageLevelLabels, MultiView,
                                                 PackSemiSegInputs, RandomScaleStep,
                                                 StrongColorJitter, labels_from_mask)
from mmseg_pseudoseg.datasets.voc_semi import SemiVOCDataset

BRANCHES = ['sup', 'weak', 'strong']
CROP = 32
FILL = (104, 116, 124)
META = ('img_path', 'img_shape', 'scale_factor', 'flip', 'branch', 'jitter_params')


@TRANSFORMS.register_module(force=True)
class ReplayedJitter(StrongColorJitter):
    """``StrongColorJitter`` whose parameters are also packed as metainfo.

    The parameters are drawn a second time from the numpy state the jitter draws
    from, so the image is exactly what ``StrongColorJitter`` makes of it.
    """

    def transform(self, results):
        state = np.random.get_state()
        params = self.get_params()
        np.random.set_state(state)
        results = super().transform(results)
        results['jitter_params'] = params
        return results


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mmseg')


def weak_geometry(crop=CROP):
    return [dict(type='RandomScaleStep', ratio_range=(0.5, 2.0), step=0.25),
            dict(type='RandomCrop', crop_size=(crop, crop), cat_max_ratio=1.0),
            dict(type='RandomFlip', prob=0.5)]


def extra_pipeline(jitter, masks=False, image_labels=False):
    strong = [jitter,
              dict(type='RandomCutOut', prob=1, n_holes=1, cutout_shape=(10, 10),
                   fill_in=FILL, seg_fill_in=255)]
    if image_labels:
        strong.append(dict(type='ImageLevelLabels'))
    strong.append(dict(type='PackSemiSegInputs', seg_key='gt_valid_map',
                       meta_keys=META))
    load = [dict(type='LoadImageFromFile')]
    if masks:
        load.append(dict(type='LoadAnnotations'))
    return load + [dict(type='GenerateValidityMap'), *weak_geometry(),
                   dict(type='MultiView', branch_field=BRANCHES,
                        weak=[dict(type='PackSemiSegInputs', meta_keys=META)],
                        strong=strong)]


@pytest.fixture(scope='module')
def position_root(tmp_path_factory):
    """One 40x56 PNG; colour (B, G, R) = (4x+2, 4y+2, 200): unique per position."""
    root = tmp_path_factory.mktemp('positions')
    (root / 'JPEGImages').mkdir()
    (root / 'SegmentationClassAug').mkdir()
    yy, xx = np.mgrid[:40, :56]
    bgr = np.stack([4 * xx + 2, 4 * yy + 2, np.full_like(xx, 200)], -1).astype(np.uint8)
    Image.fromarray(bgr[..., ::-1]).save(str(root / 'JPEGImages' / 'pos.png'))
    label = np.zeros((40, 56), np.uint8)
    label[5:20, 5:25] = 3
    label[25:35, 30:50] = 7
    Image.fromarray(label, mode='L').save(str(root / 'SegmentationClassAug' / 'pos.png'))
    (root / 'split.txt').write_text('pos\n')
    return str(root)


def _dataset(root, pipeline, masks=False):
    return SemiVOCDataset(data_root=root, ann_file='split.txt', img_suffix='.png',
                          with_masks=masks, pipeline=pipeline)


def _hwc(tensor):
    return tensor.permute(1, 2, 0).numpy()


def _box(strong_sample):
    return strong_sample.gt_sem_seg.data[0].numpy() == 255


def _aligned(weak_img, strong_img, params, box):
    """Strong == jitter(weak) outside the CutOut box (exact)."""
    if weak_img.shape != strong_img.shape:
        return False
    rejittered = StrongColorJitter.apply(np.ascontiguousarray(weak_img), params)
    return bool(np.array_equal(rejittered[~box], strong_img[~box]))


def test_output_format_has_every_branch(position_root):
    np.random.seed(0)
    out = _dataset(position_root, extra_pipeline(dict(type='StrongColorJitter')))[0]
    assert set(out) == {'inputs', 'data_samples'}
    assert out['inputs']['sup'] is None and out['data_samples']['sup'] is None
    for branch in ('weak', 'strong'):
        assert out['inputs'][branch].shape == (3, CROP, CROP)
        assert out['inputs'][branch].dtype == torch.uint8
        assert out['data_samples'][branch].metainfo['branch'] == branch
    assert 'gt_sem_seg' not in out['data_samples']['weak']  # no masks loaded


@pytest.mark.parametrize('seed', range(8))
def test_weak_and_strong_share_geometry_no_jitter(position_root, seed):
    np.random.seed(seed)
    out = _dataset(position_root,
                   extra_pipeline(dict(type='StrongColorJitter', prob=0.0)))[0]
    weak = _hwc(out['inputs']['weak'])
    strong = _hwc(out['inputs']['strong'])
    box = _box(out['data_samples']['strong'])
    valid = out['data_samples']['strong'].gt_sem_seg.data[0].numpy()
    assert set(np.unique(valid)) <= {0, 255} and box.any() and (~box).any()
    # identical coordinates outside the box, the fill colour inside it
    np.testing.assert_array_equal(weak[~box], strong[~box])
    assert (strong[box] == np.array(FILL, np.uint8)).all()
    # the box is axis-aligned, at most 10x10, and only the strong view has it
    rows, cols = np.flatnonzero(box.any(1)), np.flatnonzero(box.any(0))
    assert box[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].all()
    assert len(rows) <= 10 and len(cols) <= 10
    assert not (weak[box] == np.array(FILL, np.uint8)).all(-1).any()


@pytest.mark.parametrize('preset', ['released', 'simclr'])
def test_weak_and_strong_share_geometry_with_jitter(position_root, preset):
    changed = []
    for seed in range(8):
        np.random.seed(seed)
        out = _dataset(position_root,
                       extra_pipeline(dict(type='ReplayedJitter', preset=preset)))[0]
        weak = _hwc(out['inputs']['weak'])
        strong = _hwc(out['inputs']['strong'])
        params = out['data_samples']['strong'].metainfo['jitter_params']
        box = _box(out['data_samples']['strong'])
        assert _aligned(weak, strong, params, box)
        changed.append(np.abs(weak[~box].astype(int) - strong[~box]).mean())
    # the strong view differs photometrically
    if preset == 'released':  # always applied
        assert min(changed) > 2.0
    else:  # p = 0.8
        assert sum(c > 2.0 for c in changed) >= 4


def test_negative_control_independent_views_are_detected(position_root):
    """Weak and strong from two independent geometric draws fail the check
    whenever the two draws differ (they coincide only by chance)."""
    ds = _dataset(position_root, extra_pipeline(dict(type='ReplayedJitter')))
    differing = 0
    for seed in range(8):
        np.random.seed(seed)
        first = ds[0]
        np.random.seed(seed + 100)
        second = ds[0]
        weak = _hwc(first['inputs']['weak'])
        other_weak = _hwc(second['inputs']['weak'])
        if weak.shape == other_weak.shape and np.array_equal(weak, other_weak):
            continue
        differing += 1
        strong = _hwc(second['inputs']['strong'])
        params = second['data_samples']['strong'].metainfo['jitter_params']
        assert not _aligned(weak, strong, params,
                            _box(second['data_samples']['strong']))
    assert differing >= 5


def test_geometry_varies_between_samples(position_root):
    ds = _dataset(position_root, extra_pipeline(dict(type='StrongColorJitter')))
    seen = set()
    for seed in range(12):
        np.random.seed(seed)
        meta = ds[0]['data_samples']['weak'].metainfo
        seen.add((round(meta['scale_factor'][0], 2), meta['flip']))
    assert len(seen) >= 4


def test_labelled_pipeline_packs_sup_only(position_root):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                *weak_geometry(),
                dict(type='MultiView', branch_field=BRANCHES,
                     sup=[dict(type='PackSemiSegInputs')])]
    np.random.seed(3)
    out = _dataset(position_root, pipeline, masks=True)[0]
    assert out['inputs']['weak'] is None and out['inputs']['strong'] is None
    sample = out['data_samples']['sup']
    assert sample.metainfo['branch'] == 'sup'
    labels = sample.gt_sem_seg.data
    assert labels.shape[-2:] == out['inputs']['sup'].shape[-2:]
    assert set(labels.unique().tolist()) <= {0, 3, 7}


def test_image_labels_come_from_the_strong_crop_after_cutout(position_root):
    np.random.seed(1)
    out = _dataset(position_root, extra_pipeline(dict(type='StrongColorJitter'),
                                                 masks=True, image_labels=True),
                   masks=True)[0]
    strong = out['data_samples']['strong']
    weak = out['data_samples']['weak']
    assert strong.gt_image_labels.dtype == torch.float32
    assert strong.gt_image_labels.shape == (20,)
    # weak carries the real crop labels; the strong's labels are those classes
    # minus any class the CutOut box removed entirely
    crop_labels = weak.gt_sem_seg.data[0].numpy().copy()
    crop_labels[_box(strong)] = 255
    np.testing.assert_array_equal(strong.gt_image_labels.numpy(),
                                  labels_from_mask(crop_labels, 21))


def test_image_level_labels_unit():
    seg = np.zeros((6, 6), np.uint8)
    seg[0, 0], seg[1, 1], seg[2, 2] = 3, 20, 255
    results = {'gt_seg_map': seg, 'num_classes': 21, 'img_labels': np.ones(20)}
    out = ImageLevelLabels()(dict(results))['gt_image_labels']
    expected = np.zeros(20, np.float32)
    expected[[2, 19]] = 1
    np.testing.assert_array_equal(out, expected)
    # a CutOut box over the only class-3 pixel removes class 3: a 6x6 box anchored
    # anywhere in the 6x6 image covers the bottom-right pixel
    seg = np.zeros((6, 6), np.uint8)
    seg[5, 5], seg[0, 0] = 3, 20
    cut = TRANSFORMS.build(dict(type='RandomCutOut', prob=1, n_holes=1,
                                cutout_shape=(6, 6), seg_fill_in=255))
    for seed in range(5):
        np.random.seed(seed)
        r = cut(dict(img=np.zeros((6, 6, 3), np.uint8), gt_seg_map=seg.copy(),
                     seg_fields=['gt_seg_map'], num_classes=21))
        labels = ImageLevelLabels()(r)['gt_image_labels']
        assert labels[2] == 0
        assert labels[19] == (r['gt_seg_map'][0, 0] == 20)
    # file labels pass through when there is no mask
    out = ImageLevelLabels()({'img_labels': expected, 'img_path': 'x'})
    np.testing.assert_array_equal(out['gt_image_labels'], expected)
    with pytest.raises(KeyError, match='x.jpg.*neither'):
        ImageLevelLabels()({'img_path': 'x.jpg'})


def test_pack_semi_seg_inputs_errors():
    results = dict(img=np.zeros((4, 5, 3), np.uint8), img_path='a.jpg')
    with pytest.raises(KeyError, match='a.jpg.*GenerateValidityMap'):
        PackSemiSegInputs(seg_key='gt_valid_map')(dict(results))
    bad = dict(results, gt_seg_map=np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match='a.jpg'):
        PackSemiSegInputs()(bad)


def test_multi_view_rejects_unknown_branch():
    with pytest.raises(ValueError, match='teacher'):
        MultiView(branch_field=BRANCHES, teacher=[dict(type='PackSemiSegInputs')])


def test_random_scale_step_discrete_and_continuous():
    img = np.zeros((40, 60, 3), np.uint8)
    step = RandomScaleStep()
    np.random.seed(0)
    factors = set()
    for _ in range(200):
        r = step(dict(img=img.copy(), gt_valid_map=np.zeros((40, 60), np.uint8),
                      seg_fields=['gt_valid_map']))
        f = r['img'].shape[0] / 40  # quarter steps of 40 and 60 are whole pixels
        factors.add(f)
        assert r['img'].shape[:2] == (int(40 * f + 0.5), int(60 * f + 0.5))
        assert tuple(r['scale_factor']) == (f, f)
        assert r['gt_valid_map'].shape == r['img'].shape[:2]
    assert factors == {0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0}
    cont = RandomScaleStep(step=None)
    big = np.zeros((400, 600, 3), np.uint8)
    widths = [cont(dict(img=big.copy()))['img'].shape[1] for _ in range(200)]
    assert 300 <= min(widths) < 360 and 1140 < max(widths) <= 1200
    assert len(set(widths)) > 100  # a continuous factor, not 7 steps
