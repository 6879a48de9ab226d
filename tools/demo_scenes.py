"""The demo's scene generator: real pictures bundled with scikit-image, composed.

No data can be downloaded where the demo runs, so every pixel comes from images
that registry packages ship (``scikit-image``'s bundled ``skimage.data`` files:
see ``requirements-demo.txt``). Each 96x128 scene is a crop of a real
grey texture (``brick``, ``moon``, ``text``, ``clock``, ``cell``, ``coins``),
mildly tinted, with 1-3 objects pasted at random scale, position and flip, and
a mild global exposure / white-balance cast. Each object is a real cut-out with
an exact mask or a real-texture patch inside a class-specific outline:

    aeroplane    aeroplane outline filled with the ``rocket`` photo
    bottle       bottle outline, ``retina`` vessel texture as violet, blue or
                 magenta glass
    cat          cat-head outline filled with ``chelsea``'s head
    diningtable  table-top and legs of light or reddish wood (``coffee``)
    horse        the real ``horse`` silhouette, a bay coat from ``gravel``
    motorbike    the real bike of ``stereo_motorcycle``, cut out with its
                 disparity map; paint red, blue, green or yellow
    person       head and shoulders: one of the 100 ``lfw_subset`` faces over
                 the ``astronaut``'s flight suit
    pottedplant  a bush of ``grass`` (three greens) in a ``brick`` pot
    sheep        cream ``gravel`` wool, grey-brown face and legs
    tvmonitor    a black frame showing ``immunohistochemistry`` or
                 ``hubble_deep_field``

Classes are told apart by the colour/texture of their source and by their
shape; the colour variants make a small labelled split see only some of each
class's looks (the calibration is in ``docs/demo_calibration.md``).

The pixels do not depend on the CPU: resizes use OpenCV's bit-exact bilinear
mode (``INTER_LINEAR_EXACT``) or Pillow's fixed-point box filter, the hue turn
and the exposure cast are elementwise NumPy arithmetic, and the scene mean is
an integer sum. (OpenCV's ``INTER_LINEAR``/``INTER_AREA`` and HSV conversions
pick SIMD kernels at run time whose rounding differs between CPUs.)

Classes are ten of the Pascal VOC classes, and masks store **VOC class ids**
(horse = 13, person = 15, ...), so stock ``PascalVOCDataset`` reads the set as
it is, and ``metainfo=dict(classes=DEMO_CLASSES)`` (mmseg's class-subset
mechanism, a ``label_map`` applied by ``LoadAnnotations``) turns them into the
contiguous ids ``0..10``. Object boundaries carry a 1-pixel ignore band (255),
like VOC's.
"""
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image

# --------------------------------------------------------------------------
# Classes: ten VOC classes, stored with their VOC ids.
VOC_CLASSES = ('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle',
               'bus', 'car', 'cat', 'chair', 'cow', 'diningtable', 'dog',
               'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa',
               'train', 'tvmonitor')
VOC_PALETTE = [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128],
               [128, 0, 128], [0, 128, 128], [128, 128, 128], [64, 0, 0],
               [192, 0, 0], [64, 128, 0], [192, 128, 0], [64, 0, 128],
               [192, 0, 128], [64, 128, 128], [192, 128, 128], [0, 64, 0],
               [128, 64, 0], [0, 192, 0], [128, 192, 0], [0, 64, 128]]
#: Class names of the demo, in VOC order (background first). Pass as
#: ``metainfo=dict(classes=DEMO_CLASSES)`` to ``PascalVOCDataset``.
DEMO_CLASSES = ('background', 'aeroplane', 'bottle', 'cat', 'diningtable',
                'horse', 'motorbike', 'person', 'pottedplant', 'sheep',
                'tvmonitor')
#: VOC id stored in the masks for each foreground demo class.
DEMO_VOC_IDS = tuple(VOC_CLASSES.index(c) for c in DEMO_CLASSES[1:])
IGNORE = 255

IMAGE_HW = (96, 128)


# --------------------------------------------------------------------------
# Sources: real images bundled with scikit-image (no network access).
def _rgb(arr: np.ndarray) -> np.ndarray:
    """Any bundled image -> uint8 HxWx3 RGB."""
    arr = np.asarray(arr)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype != np.uint8:
        arr = np.clip(arr * 255.0 if arr.max() <= 1.0 else arr, 0, 255)
        arr = arr.astype(np.uint8)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, -1)
    return np.ascontiguousarray(arr[..., :3])


def _motorbike_cutout(image: np.ndarray, disp: np.ndarray):
    """Cut the motorbike out of ``stereo_motorcycle`` with its disparity map.

    The floor's disparity grows linearly with the row; pixels more than 5
    disparity units in front of that plane (and nearer than the back wall)
    are the bike. Returns (rgb, mask) cropped to the bike's bounding box.
    """
    from scipy import ndimage as ndi
    disp = np.where(np.isfinite(disp), disp, 0.0)
    rows = np.arange(disp.shape[0])
    floor_rows = slice(disp.shape[0] - 100, disp.shape[0])
    sample = np.concatenate([disp[floor_rows, :60], disp[floor_rows, -50:]], 1)
    coef = np.polyfit(rows[floor_rows], np.median(sample, 1), 1)
    floor = np.polyval(coef, rows)[:, None]
    mask = (disp > floor + 5) & (disp > 35)
    mask = ndi.binary_opening(mask, iterations=1)
    lab, n = ndi.label(mask)
    sizes = ndi.sum(mask, lab, range(1, n + 1))
    mask = ndi.binary_fill_holes(lab == int(np.argmax(sizes)) + 1)
    ys, xs = np.nonzero(mask)
    box = slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)
    return image[box].copy(), mask[box].copy()


def _tight(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def load_sources() -> Dict[str, np.ndarray]:
    """Load every bundled image the generator uses (about 0.5 s)."""
    try:
        from skimage import data
    except ImportError as exc:  # pragma: no cover - depends on the env
        raise SystemExit('make_demo_data needs scikit-image (its bundled images '
                         'are the data): pip install -r requirements-demo.txt'
                         ) from exc
    src = {}
    for name in ('astronaut', 'brick', 'cell', 'chelsea', 'clock', 'coffee',
                 'coins', 'grass', 'gravel', 'hubble_deep_field',
                 'immunohistochemistry', 'moon', 'retina', 'rocket', 'text'):
        src[name] = _rgb(getattr(data, name)())
    left, _, disp = data.stereo_motorcycle()
    src['motorbike_rgb'], src['motorbike_mask'] = _motorbike_cutout(
        _rgb(left), disp)
    src['horse_mask'] = _tight(~np.asarray(data.horse(), bool))
    # lfw_subset holds 100 faces, then 100 non-face patches: keep the faces
    src['faces'] = (np.clip(np.asarray(data.lfw_subset())[:100], 0, 1) * 255
                    ).astype(np.uint8)  # (100, 25, 25) grey faces
    src['wood'] = src['coffee'][:, :150]  # the wooden table left of the cup
    src['retina'] = src['retina'][300:1100, 300:1100]  # inside the fundus disc
    return src


# --------------------------------------------------------------------------
# Drawing helpers.
def _patch(rng, img: np.ndarray, h: int, w: int, zoom=(0.5, 1.5)) -> np.ndarray:
    """A random h x w crop of ``img`` after a random zoom (uint8 RGB)."""
    z = float(rng.uniform(*zoom))
    ih, iw = img.shape[:2]
    ch = min(ih, max(2, int(round(h / z))))
    cw = min(iw, max(2, int(round(w / z))))
    y = int(rng.integers(0, ih - ch + 1))
    x = int(rng.integers(0, iw - cw + 1))
    crop = np.ascontiguousarray(img[y:y + ch, x:x + cw])
    return cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR_EXACT)


def _tint(img: np.ndarray, gains: Sequence[float], offset: float = 0.0):
    out = img.astype(np.float32) * np.asarray(gains, np.float32) + offset
    return np.clip(out, 0, 255).astype(np.uint8)


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _poly(h: int, w: int, pts: Sequence[Tuple[float, float]]) -> np.ndarray:
    """Mask h x w of a polygon given in unit (x, y) coordinates."""
    mask = np.zeros((h, w), np.uint8)
    p = np.array([[x * (w - 1), y * (h - 1)] for x, y in pts], np.int32)
    cv2.fillPoly(mask, [p], 1)
    return mask


def _ellipse(mask: np.ndarray, cx, cy, rx, ry):
    h, w = mask.shape
    cv2.ellipse(mask, (int(cx * (w - 1)), int(cy * (h - 1))),
                (max(1, int(rx * w)), max(1, int(ry * h))), 0, 0, 360, 1, -1)
    return mask


# --------------------------------------------------------------------------
# Objects: each returns (rgb uint8 h x w x 3, mask bool h x w) for height h.
def _aeroplane(rng, src, h):
    w = int(h * rng.uniform(1.3, 1.7))
    m = _poly(h, w, [(0.0, 0.45), (0.12, 0.38), (0.42, 0.38), (0.30, 0.0),
                     (0.42, 0.0), (0.62, 0.38), (0.85, 0.38), (0.92, 0.15),
                     (1.0, 0.15), (0.98, 0.5), (1.0, 0.62), (0.62, 0.62),
                     (0.42, 1.0), (0.30, 1.0), (0.42, 0.62), (0.12, 0.62)])
    return _patch(rng, src['rocket'], h, w), m.astype(bool)


def _bottle(rng, src, h):
    w = max(6, int(h * rng.uniform(0.35, 0.45)))
    m = _poly(h, w, [(0.38, 0.0), (0.62, 0.0), (0.62, 0.25), (1.0, 0.42),
                     (1.0, 1.0), (0.0, 1.0), (0.0, 0.42), (0.38, 0.25)])
    # coloured glass (violet, blue, magenta) over the fundus' vessels
    gains = _pick(rng, [(0.55, 0.45, 1.6), (0.25, 0.5, 1.3), (1.0, 0.3, 1.1)])
    glass = _tint(_patch(rng, src['retina'], h, w), gains, offset=30)
    return glass, m.astype(bool)


def _cat(rng, src, h):
    w = int(h * rng.uniform(1.0, 1.2))
    m = _poly(h, w, [(0.08, 0.0), (0.38, 0.3), (0.08, 0.5)])
    m |= _poly(h, w, [(0.92, 0.0), (0.62, 0.3), (0.92, 0.5)])
    _ellipse(m, 0.5, 0.6, 0.48, 0.4)
    face = src['chelsea'][20:300, 90:420]  # the cat's head
    fur = _patch(rng, face, h, w, zoom=(0.8, 1.6))
    # coats: the photo's ginger tabby, lighter or darker
    fur = _tint(fur, [float(rng.uniform(0.8, 1.2))] * 3)
    return fur, m.astype(bool)


def _diningtable(rng, src, h):
    w = int(h * rng.uniform(1.5, 2.0))
    top = rng.uniform(0.2, 0.3)
    m = _poly(h, w, [(0.0, 0.0), (1.0, 0.0), (1.0, top), (0.0, top)])
    for x0 in (0.05, 0.85):
        m |= _poly(h, w, [(x0, top), (x0 + 0.1, top), (x0 + 0.1, 1.0),
                          (x0, 1.0)])
    # light or reddish wood
    gains, offset = _pick(rng, [((1.25, 1.1, 0.6), 40), ((1.3, 0.7, 0.5), 20)])
    wood = _tint(_patch(rng, src['wood'], h, w), gains, offset=offset)
    return wood, m.astype(bool)


def _horse(rng, src, h):
    mask = src['horse_mask']
    w = int(h * mask.shape[1] / mask.shape[0] * rng.uniform(0.9, 1.1))
    m = cv2.resize(mask.astype(np.uint8), (w, h),
                   interpolation=cv2.INTER_NEAREST).astype(bool)
    # a bay coat, lighter or darker
    coat = _tint(_patch(rng, src['gravel'], h, w),
                 np.array([0.6, 0.36, 0.24]) * rng.uniform(0.8, 1.2), offset=5)
    return coat, m


def _motorbike(rng, src, h):
    rgb, mask = src['motorbike_rgb'], src['motorbike_mask']
    w = int(h * rgb.shape[1] / rgb.shape[0])
    rgb = np.asarray(Image.fromarray(rgb).resize((w, h), Image.Resampling.BOX))
    m = cv2.resize(mask.astype(np.uint8), (w, h),
                   interpolation=cv2.INTER_NEAREST).astype(bool)
    # paint: the photo's red, or its hue turned to blue, green or yellow
    return _hue(rgb, _pick(rng, [0, 120, 60, 25])), m


def _hue(rgb: np.ndarray, shift: int) -> np.ndarray:
    """Turn the hue of an RGB image by ``shift`` (OpenCV units, 180 = 360°).

    HSV round trip in float64 elementwise arithmetic (the same result on every
    CPU); saturation and value are kept.
    """
    if shift == 0:
        return rgb
    x = rgb.astype(np.float64) / 255.0
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    v = x.max(-1)
    c = v - x.min(-1)
    safe = np.where(c > 0, c, 1.0)
    hue = np.where(v == r, ((g - b) / safe) % 6.0,
                   np.where(v == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    hue = np.where(c > 0, hue, 0.0)
    hue = (hue + shift / 30.0) % 6.0  # 180 OpenCV units = 6 sectors
    # f(n) = v - c * clip(min(k, 4 - k), 0, 1), k = (n + hue) mod 6
    out = np.stack([v - c * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0)
                    for k in ((n + hue) % 6.0 for n in (5.0, 3.0, 1.0))], -1)
    return np.floor(out * 255.0 + 0.5).astype(np.uint8)


def _person(rng, src, h):
    """Head and shoulders: an ``lfw_subset`` face over a suit from ``astronaut``."""
    w = max(6, int(h * rng.uniform(0.6, 0.7)))
    head_h = max(4, int(h * 0.48))
    face = src['faces'][int(rng.integers(len(src['faces'])))]
    fw = max(3, int(w * 0.62))
    face = cv2.resize(np.stack([face] * 3, -1), (fw, head_h),
                      interpolation=cv2.INTER_LINEAR_EXACT)
    face = _tint(face, _pick(rng, [(1.1, 0.85, 0.85), (1.05, 0.9, 0.9)]),
                 offset=30)  # pale skin tones
    suit = src['astronaut'][260:512, 20:300]  # the orange flight suit
    rgb = _tint(_patch(rng, suit, h, w), [float(rng.uniform(0.8, 1.1))] * 3)
    x0 = (w - fw) // 2
    head = _ellipse(np.zeros((head_h, fw), np.uint8), 0.5, 0.5, 0.5, 0.5)
    m = _poly(h, w, [(0.0, 1.0), (0.05, 0.6), (0.3, 0.45), (0.7, 0.45),
                     (0.95, 0.6), (1.0, 1.0)])
    m[:head_h] = 0
    m[:head_h, x0:x0 + fw] |= head
    rgb[:head_h, x0:x0 + fw][head.astype(bool)] = face[head.astype(bool)]
    return rgb, m.astype(bool)


def _pottedplant(rng, src, h):
    w = int(h * rng.uniform(0.7, 0.9))
    split = rng.uniform(0.6, 0.7)
    pot = _poly(h, w, [(0.2, split), (0.8, split), (0.7, 1.0), (0.3, 1.0)])
    leaves = _ellipse(np.zeros((h, w), np.uint8), 0.5, split / 2, 0.5,
                      split / 2 + 0.02)
    # leaves: three greens; pots: terracotta or grey
    rgb = _tint(_patch(rng, src['grass'], h, w), _pick(
        rng, [(0.35, 0.8, 0.3), (0.55, 0.85, 0.2), (0.25, 0.6, 0.45)]))
    clay = _tint(_patch(rng, src['brick'], h, w), _pick(
        rng, [(1.3, 0.7, 0.45), (0.9, 0.9, 0.9)]))
    rgb[pot.astype(bool)] = clay[pot.astype(bool)]
    return rgb, (pot | leaves).astype(bool)


def _sheep(rng, src, h):
    w = int(h * rng.uniform(1.3, 1.6))
    body = _ellipse(np.zeros((h, w), np.uint8), 0.45, 0.45, 0.4, 0.38)
    dark = _ellipse(np.zeros((h, w), np.uint8), 0.88, 0.3, 0.12, 0.16)  # head
    for x0 in (0.18, 0.32, 0.55, 0.68):  # legs
        dark |= _poly(h, w, [(x0, 0.7), (x0 + 0.06, 0.7), (x0 + 0.06, 1.0),
                             (x0, 1.0)])
    dark &= ~body
    wool = _tint(_patch(rng, src['gravel'], h, w), (0.6, 0.55, 0.35),
                 offset=120)  # cream wool, grey-brown face and legs
    wool[dark.astype(bool)] = _tint(wool, (0.55, 0.45, 0.45))[dark.astype(bool)]
    return wool, (body | dark).astype(bool)


def _tvmonitor(rng, src, h):
    w = int(h * rng.uniform(1.2, 1.45))
    rgb = np.full((h, w, 3), int(rng.integers(10, 45)), np.uint8)  # black
    b = max(2, h // 10)
    show = src[_pick(rng, ['immunohistochemistry', 'hubble_deep_field'])]
    rgb[b:h - b, b:w - b] = _patch(rng, show, h - 2 * b, w - 2 * b,
                                   zoom=(0.15, 0.5))
    return rgb, np.ones((h, w), bool)


#: Renderer per demo class (same order as ``DEMO_CLASSES[1:]``) and its
#: object height as a fraction of the image height (min, max).
OBJECTS: Tuple[Tuple[Callable, Tuple[float, float]], ...] = (
    (_aeroplane, (0.35, 0.65)), (_bottle, (0.5, 0.85)), (_cat, (0.4, 0.7)),
    (_diningtable, (0.35, 0.6)), (_horse, (0.45, 0.8)),
    (_motorbike, (0.45, 0.75)), (_person, (0.45, 0.8)),
    (_pottedplant, (0.5, 0.85)), (_sheep, (0.35, 0.6)),
    (_tvmonitor, (0.4, 0.7)))
#: Per-scene photometric cast (ranges of uniform draws).
CAST = dict(contrast=(0.85, 1.15), gain=(0.85, 1.15), offset=(-15.0, 15.0))
#: Background textures (real, mostly grey photos, mildly tinted per image).
BACKGROUNDS = ('brick', 'moon', 'text', 'clock', 'cell', 'coins')


# --------------------------------------------------------------------------
def render_scene(rng: np.random.Generator, src: Dict[str, np.ndarray],
                 first_class: int, hw: Tuple[int, int] = IMAGE_HW):
    """One scene: (image uint8 HxWx3 RGB, label uint8 HxW of VOC ids / 255).

    ``first_class`` (index into ``DEMO_CLASSES[1:]``) is always present and
    drawn last (on top), so every image contains that class.
    """
    height, width = hw
    bg_name = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
    image = _patch(rng, src[bg_name], height, width, zoom=(0.3, 1.2))
    image = _tint(image, rng.uniform(0.9, 1.1, size=3))
    label = np.zeros((height, width), np.uint8)
    n_obj = int(rng.choice([1, 2, 3], p=[0.35, 0.4, 0.25]))
    classes = [int(c) for c in rng.integers(0, len(OBJECTS), n_obj - 1)]
    classes.append(first_class)
    scale = 1.0 if n_obj == 1 else 0.8
    for cls in classes:
        fn, (lo, hi) = OBJECTS[cls]
        h = max(8, int(height * scale * rng.uniform(lo, hi)))
        rgb, mask = fn(rng, src, h)
        if rng.random() < 0.5:
            rgb, mask = rgb[:, ::-1], mask[:, ::-1]
        oh, ow = mask.shape
        if ow > width:  # keep very wide objects inside the frame
            keep = int(rng.integers(0, ow - width + 1))
            rgb, mask = rgb[:, keep:keep + width], mask[:, keep:keep + width]
            oh, ow = mask.shape
        y = int(rng.integers(-oh // 6, height - oh + oh // 6 + 1))
        x = int(rng.integers(-ow // 6, width - ow + ow // 6 + 1))
        ys, xs = slice(max(y, 0), min(y + oh, height)), slice(
            max(x, 0), min(x + ow, width))
        sub = mask[ys.start - y:ys.stop - y, xs.start - x:xs.stop - x]
        image[ys, xs][sub] = rgb[ys.start - y:ys.stop - y,
                                 xs.start - x:xs.stop - x][sub]
        label[ys, xs][sub] = DEMO_VOC_IDS[cls]
    # the scene's exposure and white balance, like photos taken under
    # different light: contrast about the mean, per-channel gain, offset
    mean = np.float32(image.sum(dtype=np.int64) / image.size)  # exact sum
    image = image.astype(np.float32)
    image = (image - mean) * rng.uniform(*CAST['contrast']) + mean
    image = image * rng.uniform(*CAST['gain'], size=3) + rng.uniform(
        *CAST['offset'])
    image = np.clip(image, 0, 255).astype(np.uint8)
    # 1-pixel ignore band on every boundary between two labels (VOC style)
    edge = np.zeros_like(label, bool)
    edge[:-1] |= label[:-1] != label[1:]
    edge[:, :-1] |= label[:, :-1] != label[:, 1:]
    label[edge] = IGNORE
    return image, label



def voc_palette() -> List[int]:
    """The VOC palette as PIL's flat 768-value list (255 = VOC's cream border)."""
    flat = [c for rgb in VOC_PALETTE for c in rgb]
    return flat + [0, 0, 0] * (255 - len(VOC_PALETTE)) + [224, 224, 192]
