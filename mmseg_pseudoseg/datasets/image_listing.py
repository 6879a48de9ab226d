"""The images of a folder, by id (the folder dataset, ``tools/make_splits.py``,
``tools/infer.py``)."""
import os
import os.path as osp
from typing import Dict

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def list_images(img_dir: str) -> Dict[str, str]:
    """``{id: relative image path}`` of every image under ``img_dir`` (recursive).

    Two images with one id (``a.jpg`` and ``a.png``) are an error naming both.
    One ``os.walk``; the cost per file is a few string operations
    (docs/benchmark.md, pool).
    """
    found: Dict[str, str] = {}
    extensions = frozenset(IMAGE_EXTENSIONS)
    for folder, _, files in os.walk(img_dir):
        rel_dir = osp.relpath(folder, img_dir)  # once per folder, not per file
        rel_dir = '' if rel_dir == '.' else rel_dir + os.sep
        id_dir = rel_dir.replace(os.sep, '/')
        for name in files:
            stem, ext = osp.splitext(name)
            if ext.lower() not in extensions or name.startswith('.'):
                continue
            rel = rel_dir + name
            img_id = id_dir + stem
            if img_id in found:
                raise ValueError(
                    f'image folder {img_dir} has two images with the id '
                    f'{img_id!r}: {found[img_id]} and {rel}.\n'
                    'Rename or remove one of them.')
            found[img_id] = rel
    return dict(sorted(found.items()))
