"""A class legend: colour swatch + name per class."""
from typing import Iterable, Optional, Sequence

import cv2
import numpy as np

__all__ = ['class_legend']

ROW_H = 16
SWATCH = 10
FONT = cv2.FONT_HERSHEY_SIMPLEX
SCALE = 0.4


def class_legend(classes: Sequence[str], palette: Sequence[Sequence[int]],
                 width: int, class_ids: Optional[Iterable[int]] = None) -> np.ndarray:
    """A white ``(rows * 16 + 4, width, 3)`` uint8 RGB strip: for each class id (all,
    or ``class_ids`` in increasing order; ids outside ``classes`` are skipped) a
    10x10 swatch of its palette colour followed by its name, left to right,
    wrapping onto a new row where the next entry would not fit."""
    ids = range(len(classes)) if class_ids is None else sorted(set(class_ids))
    ids = [int(i) for i in ids if 0 <= int(i) < len(classes)]
    entries, x, row = [], 2, 0
    for i in ids:
        text_w = cv2.getTextSize(str(classes[i]), FONT, SCALE, 1)[0][0]
        entry_w = SWATCH + 4 + text_w + 12
        if x > 2 and x + entry_w > width:
            x, row = 2, row + 1
        entries.append((i, x, row))
        x += entry_w
    strip = np.full(((row + 1) * ROW_H + 4, width, 3), 255, np.uint8)
    for i, x, row in entries:
        top = row * ROW_H + 4
        colour = tuple(int(v) for v in palette[i])
        cv2.rectangle(strip, (x, top), (x + SWATCH - 1, top + SWATCH - 1), colour, -1)
        cv2.rectangle(strip, (x, top), (x + SWATCH - 1, top + SWATCH - 1),
                      (96, 96, 96), 1)
        cv2.putText(strip, str(classes[i]), (x + SWATCH + 4, top + SWATCH - 1), FONT,
                    SCALE, (0, 0, 0), 1, cv2.LINE_AA)
    return strip
