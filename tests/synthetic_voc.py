"""Tiny synthetic VOC-format trees for tests (no real data is available here).

Layout written by :func:`make_voc_tree` (the VOC 2012 + SBD layout mmseg expects)::

    root/JPEGImages/<id>.jpg
    root/SegmentationClass/<id>.png        palette PNG (train + val ids)
    root/SegmentationClassAug/<id>.png     plain 'L' PNG (all ids)
    root/ImageSets/Segmentation/{train,val,trainaug}.txt

Each image is a textured background with a few filled shapes; shape ``k`` has a
class-specific colour, so a tiny model can learn the task in a few iterations.
Ids look like VOC ids (``2007_000000``).
"""
import os
import os.path as osp
from typing import Dict, List

import numpy as np
from PIL import Image

VOC_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128],
               [128, 0, 128], [0, 128, 128], [128, 128, 128], [64, 0, 0],
               [192, 0, 0], [64, 128, 0], [192, 128, 0], [64, 0, 128],
               [192, 0, 128], [64, 128, 128], [192, 128, 128], [0, 64, 0],
               [128, 64, 0], [0, 192, 0], [128, 192, 0], [0, 64, 128]]


def _palette_bytes() -> List[int]:
    flat = [c for rgb in VOC_PALETTE for c in rgb]
    return flat + [224, 224, 192] * (256 - len(VOC_PALETTE))


def make_sample(rng: np.random.Generator, height: int, width: int,
                num_classes: int = 21, max_shapes: int = 3):
    """One (image uint8 HxWx3 RGB, label uint8 HxW) pair."""
    image = rng.integers(90, 140, size=(height, width, 3)).astype(np.uint8)
    label = np.zeros((height, width), np.uint8)
    yy, xx = np.mgrid[:height, :width]
    for _ in range(int(rng.integers(1, max_shapes + 1))):
        cls = int(rng.integers(1, num_classes))
        cy, cx = rng.integers(0, height), rng.integers(0, width)
        ry = int(rng.integers(max(2, height // 8), max(3, height // 3)))
        rx = int(rng.integers(max(2, width // 8), max(3, width // 3)))
        mask = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
        colour = np.array(VOC_PALETTE[cls], np.int32) * 2 // 3 + 40
        image[mask] = np.clip(colour + rng.integers(-10, 10, size=3), 0, 255)
        label[mask] = cls
    # a thin ignore border around some shapes, like VOC's object boundaries
    if rng.random() < 0.5:
        edge = np.zeros_like(label, bool)
        edge[1:] |= label[1:] != label[:-1]
        edge[:, 1:] |= label[:, 1:] != label[:, :-1]
        label[edge] = 255
    return image, label


def make_voc_tree(root: str, n_train: int = 16, n_val: int = 6, n_aug_only: int = 16,
                  size=(48, 64), num_classes: int = 21, seed: int = 0) -> Dict[str, List[str]]:
    """Write a VOC-format tree under ``root`` and return the id lists.

    ``train`` ids have palette masks in ``SegmentationClass``; ``trainaug`` =
    ``train`` + ``n_aug_only`` more ids (like VOC's 10,582 list, which contains
    the labelled ids); every id has a mask in ``SegmentationClassAug``.
    """
    rng = np.random.default_rng(seed)
    for sub in ('JPEGImages', 'SegmentationClass', 'SegmentationClassAug',
                'ImageSets/Segmentation'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    ids = [f'2007_{i:06d}' for i in range(n_train + n_val + n_aug_only)]
    train, val = ids[:n_train], ids[n_train:n_train + n_val]
    aug_only = ids[n_train + n_val:]
    height, width = size
    for idx, img_id in enumerate(ids):
        h = height + int(rng.integers(-4, 5))
        w = width + int(rng.integers(-4, 5))
        image, label = make_sample(rng, h, w, num_classes)
        Image.fromarray(image).save(osp.join(root, 'JPEGImages', img_id + '.jpg'),
                                    quality=95)
        Image.fromarray(label, mode='L').save(
            osp.join(root, 'SegmentationClassAug', img_id + '.png'))
        if img_id not in aug_only:
            pal = Image.fromarray(label, mode='P')
            pal.putpalette(_palette_bytes())
            pal.save(osp.join(root, 'SegmentationClass', img_id + '.png'))
    lists = {'train': train, 'val': val, 'trainaug': train + aug_only}
    for name, members in lists.items():
        with open(osp.join(root, 'ImageSets/Segmentation', name + '.txt'), 'w') as f:
            f.write('\n'.join(members) + '\n')
    return lists
