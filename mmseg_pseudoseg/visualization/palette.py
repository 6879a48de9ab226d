"""Class colours: the palettes of the datasets and label maps painted with them
(pseudo-label panels, the demo picture, ``tools/infer.py``)."""
from typing import List, Sequence

import numpy as np

IGNORE_COLOUR = (224, 224, 192)  # VOC's colour of label 255


def voc_colormap(num: int) -> List[List[int]]:
    """The PASCAL VOC bit-interleaved colour map (first 21 = VOC palette)."""
    palette = []
    for index in range(num):
        r = g = b = 0
        c = index
        for shift in range(7, -1, -1):
            r |= ((c >> 0) & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette.append([r, g, b])
    return palette


def default_palette(num_classes: int, seed: int = 0) -> List[List[int]]:
    """A fixed random palette for datasets that ship none."""
    rng = np.random.RandomState(seed)
    return rng.randint(0, 256, size=(num_classes, 3)).tolist()


def colorize(label: np.ndarray, palette: Sequence[Sequence[int]],
             ignore_index: int = 255, ignore_colour=IGNORE_COLOUR) -> np.ndarray:
    """``(H, W)`` int label map in 0..255 -> ``(H, W, 3)`` uint8 RGB.

    ``ignore_index`` pixels and labels outside the palette get ``ignore_colour``.
    """
    lut = np.zeros((256, 3), np.uint8)
    lut[:] = ignore_colour
    pal = np.asarray(palette, np.uint8).reshape(-1, 3)[:256]
    lut[:len(pal)] = pal
    if ignore_index < 256:
        lut[ignore_index] = ignore_colour
    return lut[np.asarray(label).astype(np.int64)]
