"""PaddedCutOut: the released CutOut placement (docs/method.md §5).

The reference below is a direct NumPy transcription of the released
``cutout_with_mask`` (core/preprocess_utils.py:728-795) applied as the released code
applies it (core/input_preprocess.py:127-177): on the image padded to the crop with
the mean pixel, validity 0 in the padding. Cropping its output back to the image must
equal what PaddedCutOut writes on the unpadded image, draw for draw.
"""
import numpy as np
import pytest
from mmengine.registry import init_default_scope

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg.registry import TRANSFORMS
from mmseg_pseudoseg.datasets.transforms import PaddedCutOut

FILL = (127.5, 127.5, 127.5)


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mmseg')


def released_cutout(image, label, valid, crop, pad_size, mean_pixel):
    """The released code on the padded crop; returns image, label, valid of the
    canvas. Draws the centre row then column with ``np.random.randint``."""
    h, w = image.shape[:2]
    height, width = crop
    canvas = np.empty((height, width, 3), np.float64)
    canvas[:] = mean_pixel
    canvas[:h, :w] = image
    lab = np.full((height, width), 255, np.int64)
    lab[:h, :w] = label
    val = np.zeros((height, width), np.int64)  # released: 1 = valid
    val[:h, :w] = 1 - valid // 255
    centre_h = np.random.randint(0, height)
    centre_w = np.random.randint(0, width)
    lower_pad = max(0, centre_h - pad_size)
    upper_pad = max(0, height - centre_h - pad_size)
    left_pad = max(0, centre_w - pad_size)
    right_pad = max(0, width - centre_w - pad_size)
    mask = np.pad(np.zeros((height - (lower_pad + upper_pad),
                            width - (left_pad + right_pad))),
                  [[lower_pad, upper_pad], [left_pad, right_pad]],
                  constant_values=1)
    lab = np.where(mask == 0, 255, lab)
    canvas = np.where(mask[..., None] == 0, np.asarray(mean_pixel), canvas)
    val = np.where(mask == 0, 0, val)
    return canvas, lab, val


def sample(rng, h, w):
    image = rng.uniform(0, 255, (h, w, 3))  # float image: the fill is exact
    label = rng.integers(0, 21, (h, w))
    return dict(img=image, gt_seg_map=label.copy(),
                gt_valid_map=np.zeros((h, w), np.uint8),
                seg_fields=['gt_seg_map', 'gt_valid_map'], img_path=f'img_{h}x{w}')


@pytest.mark.parametrize('size', [(24, 20), (9, 13), (24, 5), (1, 1)])
def test_matches_the_released_cutout_draw_for_draw(size):
    crop, pad = (24, 20), 5
    transform = PaddedCutOut(crop_size=crop, box_size=2 * pad, fill_in=FILL)
    rng = np.random.default_rng(0)
    touched = 0
    for seed in range(300):
        results = sample(rng, *size)
        image, label = results['img'].copy(), results['gt_seg_map'].copy()
        np.random.seed(seed)
        want_img, want_lab, want_val = released_cutout(
            image, label, results['gt_valid_map'], crop, pad, FILL)
        np.random.seed(seed)
        out = transform(results)
        h, w = size
        np.testing.assert_array_equal(out['img'], want_img[:h, :w])
        np.testing.assert_array_equal(out['gt_seg_map'], want_lab[:h, :w])
        # validity map: 0 valid, 255 CutOut (released: 1 valid, 0 invalid)
        np.testing.assert_array_equal(out['gt_valid_map'], 255 * (1 - want_val[:h, :w]))
        touched += bool((out['gt_valid_map'] == 255).any())
    if size == crop:
        assert touched == 300  # a box centred on the image always covers part of it
    else:
        assert 0 < touched < 300  # the padding absorbs some boxes


def test_box_often_misses_a_small_image_unlike_mmseg_random_cutout():
    """Share of draws that leave a 10x10 image in a 40x40 canvas untouched, box 10:
    the box reaches the image iff cy < 10 + 5 and cx < 10 + 5, probability
    (15/40)^2 = 0.140625. mmseg's RandomCutOut puts the box on the image every time."""
    crop, box = (40, 40), 10
    ours = PaddedCutOut(crop_size=crop, box_size=box, fill_in=FILL)
    stock = TRANSFORMS.build(dict(type='RandomCutOut', prob=1.0, n_holes=1,
                                  cutout_shape=(box, box), seg_fill_in=255))
    rng = np.random.default_rng(1)
    np.random.seed(0)
    n = 4000
    hits_ours = hits_stock = 0
    covered = np.zeros((10, 10))
    for _ in range(n):
        out = ours(sample(rng, 10, 10))
        hit = out['gt_valid_map'] == 255
        hits_ours += bool(hit.any())
        covered += hit
        hits_stock += bool((stock(sample(rng, 10, 10))['gt_valid_map'] == 255).any())
    assert hits_stock == n
    assert hits_ours / n == pytest.approx((15 / 40) ** 2, abs=0.02)
    # pixel (y, x) is covered iff cy in [y-4, y+5] and cx in [x-4, x+5] (clipped at 0)
    expected = np.array([[min(y + 6, 10) * min(x + 6, 10) for x in range(10)]
                         for y in range(10)]) / 40 ** 2
    np.testing.assert_allclose(covered / n, expected, atol=0.015)


def test_uint8_image_gets_the_nearest_fill_and_seg_fields_255():
    transform = PaddedCutOut(crop_size=(8, 8), box_size=8,
                             fill_in=(103.53, 116.28, 123.675))
    results = dict(img=np.zeros((8, 8, 3), np.uint8),
                   gt_valid_map=np.zeros((8, 8), np.uint8),
                   seg_fields=['gt_valid_map'])
    np.random.seed(3)
    out = transform(results)
    box = out['gt_valid_map'] == 255
    assert box.any() and not box.all()
    np.testing.assert_array_equal(out['img'][box], np.tile([104, 116, 124],
                                                           (box.sum(), 1)))
    assert not out['img'][~box].any()


def test_in_the_strong_view_pipeline(tmp_path):
    """Real pipeline: validity map and label map get 255 in the box, the packed
    strong sample carries the validity map as gt_sem_seg, image-level labels are
    read from the mask after CutOut, and the weak view is untouched."""
    from PIL import Image
    from mmengine.dataset import Compose
    rng = np.random.default_rng(2)
    Image.fromarray(rng.integers(0, 255, (12, 16, 3), dtype=np.uint8)).save(
        tmp_path / 'a.png')
    Image.fromarray(np.full((12, 16), 7, np.uint8)).save(tmp_path / 'a_mask.png')
    crop = (16, 16)
    pipeline = Compose([
        dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
        dict(type='GenerateValidityMap'),
        dict(type='RandomCrop', crop_size=crop, cat_max_ratio=1.0),
        dict(type='MultiView', branch_field=['sup', 'weak', 'strong'],
             weak=[dict(type='PackSemiSegInputs')],
             strong=[dict(type='PaddedCutOut', crop_size=crop, box_size=16,
                          fill_in=FILL),
                     dict(type='ImageLevelLabels', num_classes=21),
                     dict(type='PackSemiSegInputs', seg_key='gt_valid_map')])])
    np.random.seed(0)
    out = pipeline(dict(img_path=str(tmp_path / 'a.png'),
                        seg_map_path=str(tmp_path / 'a_mask.png'),
                        seg_fields=[], reduce_zero_label=False, num_classes=21))
    strong = out['data_samples']['strong']
    valid = strong.gt_sem_seg.data[0].numpy()
    weak = out['inputs']['weak'].numpy()
    image = out['inputs']['strong'].numpy()
    box = valid == 255
    assert valid.shape == (12, 16) and box.any() and not box.all()
    np.testing.assert_array_equal(image[:, box], np.full((3, box.sum()), 128))
    np.testing.assert_array_equal(image[:, ~box], weak[:, ~box])
    assert set(np.unique(valid)) == {0, 255}
    assert strong.gt_image_labels[6] == 1  # class 7 still visible outside the box


def test_bad_input_is_named():
    transform = PaddedCutOut(crop_size=(8, 8))
    with pytest.raises(ValueError) as err:
        transform(dict(img=np.zeros((9, 8, 3), np.uint8), img_path='x/big.jpg'))
    lines = str(err.value).splitlines()
    assert lines[0] == ('PaddedCutOut: image x/big.jpg is 9x8 (HxW), larger than '
                        'crop_size 8x8.')
    assert lines[-1] == ('Put PaddedCutOut after RandomCrop and give both the same '
                         'crop size.')
    with pytest.raises(ValueError, match=r'box_size must be a positive int or a '
                                         r'pair \(height, width\) of positive ints, '
                                         r'got \(0, 4\)'):
        PaddedCutOut(crop_size=8, box_size=(0, 4))
