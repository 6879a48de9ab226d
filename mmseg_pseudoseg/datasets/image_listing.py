"""The images of a folder, by id (the folder dataset, ``tools/make_splits.py``,
``tools/infer.py``)."""
import os
import os.path as osp
from typing import Dict

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def list_images(img_dir: str) -> Dict[str, str]:
    """``{id: relative image path}`` of every image under ``img_dir`` (recursive).

    Two images with one id (``a.jpg`` and ``a.png``) are an error naming both.
    """
    found: Dict[str, str] = {}
    for folder, _, files in os.walk(img_dir):
        for name in files:
            stem, ext = osp.splitext(name)
            if ext.lower() not in IMAGE_EXTENSIONS or name.startswith('.'):
                continue
            rel = osp.relpath(osp.join(folder, name), img_dir)
            img_id = osp.splitext(rel)[0].replace(os.sep, '/')
            if img_id in found:
                raise ValueError(
                    f'image folder {img_dir} has two images with the id '
                    f'{img_id!r}: {found[img_id]} and {rel}.\n'
                    'Rename or remove one of them.')
            found[img_id] = rel
    return dict(sorted(found.items()))
