"""``RandomCutMixBox``, ``RandomGaussianBlur`` and ``PILColorJitter`` against the
authors' box, blur and jitter
(UniMatch ``obtain_cutmix_box`` / ``blur``, CutMix-Seg ``BoxMaskGenerator``,
torchvision's ``ColorJitter`` on PIL images),
re-implemented here from the same numpy draws."""
import numpy as np
import pytest
import torch

import mmseg_pseudoseg  # noqa: F401
from mmseg.registry import TRANSFORMS

H, W = 48, 64


def obtain_cutmix_box(h, w, p=0.5, size_min=0.02, size_max=0.4, ratio_1=0.3,
                      ratio_2=1 / 0.3):
    """UniMatch's box on an h x w canvas (the code's square canvas generalised;
    its python ``random.random()`` here numpy's)."""
    mask = torch.zeros(h, w)
    if np.random.rand() > p:
        return mask
    size = np.random.uniform(size_min, size_max) * h * w
    while True:
        ratio = np.random.uniform(ratio_1, ratio_2)
        cutmix_w = int(np.sqrt(size / ratio))
        cutmix_h = int(np.sqrt(size * ratio))
        x = np.random.randint(0, w)
        y = np.random.randint(0, h)
        if x + cutmix_w <= w and y + cutmix_h <= h:
            break
    mask[y:y + cutmix_h, x:x + cutmix_w] = 1
    return mask


def box_mask_generator(h, w, prop=0.5):
    """CutMix-Seg's BoxMaskGenerator(prop_range=0.5, n_boxes=1, random aspect,
    by area, within bounds, inverted: 1 inside the box), one mask."""
    mask_props = np.random.uniform(prop, prop, size=(1, 1))
    y_props = np.exp(np.random.uniform(low=0.0, high=1.0, size=(1, 1)) *
                     np.log(mask_props))
    x_props = mask_props / y_props
    sizes = np.round(np.stack([y_props, x_props], axis=2) * np.array((h, w))[None,
                                                                            None])
    positions = np.round((np.array((h, w)) - sizes) *
                         np.random.uniform(low=0.0, high=1.0, size=sizes.shape))
    rectangles = np.append(positions, positions + sizes, axis=2)
    masks = np.zeros((1, 1, h, w))
    for y0, x0, y1, x1 in rectangles[0]:
        masks[0, 0, int(y0):int(y1), int(x0):int(x1)] = 1
    return torch.from_numpy(masks[0, 0]).float()


def drawn_mask(transform):
    box = transform(dict(img=np.zeros((H, W, 3), np.uint8)))['cutmix_box']
    mask = torch.zeros(H, W)
    mask[box[0]:box[2], box[1]:box[3]] = 1
    return mask


@pytest.mark.parametrize('style,reference', [('unimatch', obtain_cutmix_box),
                                             ('cutmix_seg', box_mask_generator)])
def test_boxes_equal_the_authors(style, reference):
    transform = TRANSFORMS.build(dict(type='RandomCutMixBox', crop_size=(H, W),
                                      style=style))
    empty = 0
    for seed in range(40):
        np.random.seed(seed)
        ours = drawn_mask(transform)
        np.random.seed(seed)
        assert torch.equal(ours, reference(H, W)), seed
        empty += int(ours.sum() == 0)
    if style == 'unimatch':
        assert 5 < empty < 35  # p = 0.5
    else:
        assert empty == 0


def test_gaussian_blur_draws_and_errors():
    import cv2
    blur = TRANSFORMS.build(dict(type='RandomGaussianBlur', prob=1.0))
    img = (np.random.RandomState(0).rand(H, W, 3) * 255).astype(np.uint8)
    np.random.seed(3)
    out = blur(dict(img=img.copy()))['img']
    np.random.seed(3)
    np.random.rand()
    sigma = np.random.uniform(0.1, 2.0)
    assert np.array_equal(out, cv2.GaussianBlur(img, (0, 0), sigma, sigmaY=sigma,
                                                borderType=cv2.BORDER_REFLECT_101))
    never = TRANSFORMS.build(dict(type='RandomGaussianBlur', prob=0.0))
    assert np.array_equal(never(dict(img=img.copy()))['img'], img)
    with pytest.raises(ValueError, match='sigma_range'):
        TRANSFORMS.build(dict(type='RandomGaussianBlur', sigma_range=(0, 1)))
    with pytest.raises(ValueError, match='style must be one of'):
        TRANSFORMS.build(dict(type='RandomCutMixBox', crop_size=8, style='fmix'))


def torchvision_color_jitter(img, b, c, s, h, order):
    """torchvision 0.13 ``ColorJitter`` on a PIL image (functional_pil), given
    its draws."""
    from PIL import Image, ImageEnhance
    for fn_id in order:
        if fn_id == 0:
            img = ImageEnhance.Brightness(img).enhance(b)
        elif fn_id == 1:
            img = ImageEnhance.Contrast(img).enhance(c)
        elif fn_id == 2:
            img = ImageEnhance.Color(img).enhance(s)
        else:
            hh, ss, vv = img.convert('HSV').split()
            np_h = np.array(hh, dtype=np.uint8)
            with np.errstate(over='ignore'):
                np_h += np.int8(h * 255).astype(np.uint8)
            img = Image.merge('HSV', (Image.fromarray(np_h, 'L'), ss,
                                      vv)).convert('RGB')
    return img


def test_pil_color_jitter_is_torchvisions_on_pil():
    from PIL import Image
    jitter = TRANSFORMS.build(dict(type='PILColorJitter', prob=1.0, gray_prob=0.0))
    bgr = (np.random.RandomState(1).rand(H, W, 3) * 255).astype(np.uint8)
    for seed in range(6):
        np.random.seed(seed)
        ours = jitter(dict(img=bgr.copy()))['img']
        np.random.seed(seed)
        np.random.rand()  # the p = 0.8 draw
        order = np.random.permutation(4)
        b, c, s = (np.random.uniform(0.5, 1.5) for _ in range(3))
        h = np.random.uniform(-0.25, 0.25)
        rgb = Image.fromarray(np.ascontiguousarray(bgr[..., ::-1]))
        want = np.asarray(torchvision_color_jitter(rgb, b, c, s, h, order))[..., ::-1]
        assert np.array_equal(ours, want), seed
    gray = TRANSFORMS.build(dict(type='PILColorJitter', prob=0.0, gray_prob=1.0))
    out = gray(dict(img=bgr.copy()))['img']
    luma = np.asarray(Image.fromarray(np.ascontiguousarray(bgr[..., ::-1])).convert(
        'L'))
    for k in range(3):
        assert np.array_equal(out[..., k], luma)
    with pytest.raises(ValueError, match=r'hue must be in \[0, 0.5\]'):
        TRANSFORMS.build(dict(type='PILColorJitter', hue=0.7))
