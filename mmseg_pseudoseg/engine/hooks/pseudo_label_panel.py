"""Side-by-side panels of pseudo labels (used by ``PseudoLabelHook``).

A panel is one row of ``len(PANEL_TITLES)`` equal tiles, each with a title strip
above it::

    image | weak decoder | weak SGC | fused pseudo label | strong pred. | ground truth

Label tiles are coloured with the dataset palette; ``IGNORE_COLOUR`` marks label 255
(ignored / invalid pixels). A missing ground truth gives a grey tile reading "n/a".
"""
from typing import Optional, Sequence

import cv2
import numpy as np

PANEL_TITLES = ('image', 'weak decoder', 'weak SGC', 'fused pseudo label',
                'strong prediction', 'ground truth')
TITLE_HEIGHT = 16
TILE_GAP = 4
MISSING_COLOUR = (128, 128, 128)
GAP_COLOUR = (255, 255, 255)


def resize_nearest(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize of an ``(h, w)`` or ``(h, w, 3)`` array."""
    if array.shape[:2] == (height, width):
        return array
    return cv2.resize(array, (width, height), interpolation=cv2.INTER_NEAREST)


def missing_tile(height: int, width: int) -> np.ndarray:
    """Grey ``(H, W, 3)`` tile with the text "n/a" (no ground truth)."""
    tile = np.empty((height, width, 3), np.uint8)
    tile[:] = MISSING_COLOUR
    cv2.putText(tile, 'n/a', (2, min(height - 2, 14)), cv2.FONT_HERSHEY_SIMPLEX,
                0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def compose_panel(tiles: Sequence[np.ndarray],
                  titles: Optional[Sequence[str]] = None) -> np.ndarray:
    """Put equal-size ``(H, W, 3)`` uint8 tiles in one row with title strips.

    Returns ``(TITLE_HEIGHT + H, n * W + (n - 1) * TILE_GAP, 3)`` uint8 RGB; tile
    ``k`` occupies rows ``TITLE_HEIGHT:`` and columns ``k * (W + TILE_GAP)`` to
    ``k * (W + TILE_GAP) + W``.
    """
    titles = PANEL_TITLES if titles is None else titles
    height, width = tiles[0].shape[:2]
    n = len(tiles)
    panel = np.empty((TITLE_HEIGHT + height, n * width + (n - 1) * TILE_GAP, 3),
                     np.uint8)
    panel[:] = GAP_COLOUR
    for k, (tile, title) in enumerate(zip(tiles, titles)):
        x0 = k * (width + TILE_GAP)
        panel[TITLE_HEIGHT:, x0:x0 + width] = tile
        strip = np.ascontiguousarray(panel[:TITLE_HEIGHT, x0:x0 + width])
        cv2.putText(strip, title, (2, TITLE_HEIGHT - 4), cv2.FONT_HERSHEY_SIMPLEX,
                    0.35, (0, 0, 0), 1, cv2.LINE_AA)
        panel[:TITLE_HEIGHT, x0:x0 + width] = strip
    return panel


def tile_scale(height: int, min_size: int) -> int:
    """Integer upscaling so that a tile is at least ``min_size`` pixels high."""
    return max(1, -(-min_size // max(height, 1)))
