"""Tiny datasets in the folder layout of ``SemiFolderDataset`` for tests.

Layout written by :func:`make_folder_tree` (the defaults of
``configs/pseudoseg/_base_/datasets/folder_semi.py``)::

    root/classes.txt                          "name R G B" per class
    root/labelled/images/lab_000.jpg ...      (every third image a PNG)
    root/labelled/masks/lab_000.png ...       grey and palette PNGs alternate
    root/unlabelled/images/unl_000.jpg ...
    root/val/images, root/val/masks
    root/tags.csv                             (tags=True) classes per unlabelled image
"""
import os
import os.path as osp

import numpy as np
from PIL import Image

from synthetic_voc import VOC_PALETTE, _palette_bytes, make_sample

CLASSES3 = ('background', 'crack', 'spall')


def make_folder_tree(root, classes=CLASSES3, n_labelled=12, n_unlabelled=12,
                     n_val=4, size=(48, 64), seed=0, palette_masks=True,
                     with_colours=True, tags=False, colours=None):
    """Write the default folder layout; masks alternate grey / palette PNGs.
    ``classes.txt`` gives ``colours`` (default: the VOC colours) when
    ``with_colours``."""
    colours = VOC_PALETTE if colours is None else colours
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        for c, name in enumerate(classes):
            colour = ' '.join(map(str, colours[c])) if with_colours else ''
            f.write(f'{name} {colour}'.rstrip() + '\n')
    tag_rows = []
    for part, n in (('labelled', n_labelled), ('unlabelled', n_unlabelled),
                    ('val', n_val)):
        os.makedirs(osp.join(root, part, 'images'), exist_ok=True)
        if part != 'unlabelled':
            os.makedirs(osp.join(root, part, 'masks'), exist_ok=True)
        for k in range(n):
            img_id = f'{part[:3]}_{k:03d}'
            image, label = make_sample(rng, *size, num_classes=len(classes))
            ext = '.png' if k % 3 == 2 else '.jpg'
            Image.fromarray(image).save(osp.join(root, part, 'images', img_id + ext))
            if part == 'unlabelled':
                present = sorted(set(np.unique(label).tolist()) - {0, 255})
                tag_rows.append([img_id] + [classes[c] for c in present])
                continue
            mask_path = osp.join(root, part, 'masks', img_id + '.png')
            if palette_masks and k % 2:
                pal = Image.fromarray(label, mode='P')
                pal.putpalette(_palette_bytes())
                pal.save(mask_path)
            else:
                Image.fromarray(label, mode='L').save(mask_path)
    if tags:
        with open(osp.join(root, 'tags.csv'), 'w') as f:
            f.write('image_id,labels\n')
            for row in tag_rows:
                f.write(row[0] + ',' + ';'.join(row[1:]) + '\n')
    return root
