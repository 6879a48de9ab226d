"""Per-image image-level labels from a CSV or JSON file (docs/method.md §1 image-level mode).

For data sets with image tags but no masks. Accepted formats (labels are class
names of the dataset or integer class ids; ``background`` / ``0`` is accepted and
ignored, since the vector covers foreground classes only):

* JSON: ``{"2007_000032": ["aeroplane", "person"], "2007_000039": [20], ...}``
* CSV: one row per image, ``image_id,label[,label...]``; a cell may also hold several
  labels separated by spaces or ``;``. An optional header row starts with
  ``image_id`` / ``id`` / ``image``. An image without foreground labels is a row
  with the id only.

The result is a multi-hot ``float32`` vector of shape ``(C-1,)`` per id: class ``c``
of the dataset is entry ``c-1`` (docs/batch_format.md).
"""
import csv
import json
import os.path as osp
import re
from typing import Dict, List, Sequence

import numpy as np

__all__ = ['read_image_label_file']

_HEADER_FIRST_CELLS = ('image_id', 'id', 'image', 'img_id', 'filename')


def _entries_from_json(path: str) -> Dict[str, List]:
    with open(path, encoding='utf-8') as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'image-label file {path} is not valid JSON ({err}). '
                             f'Fix the syntax of {path}.')
    if not isinstance(data, dict):
        raise ValueError(f'image-label file {path} holds a JSON '
                         f'{type(data).__name__}. Write one object '
                         f'{{image_id: [labels]}} into {path}.')
    entries = {}
    for img_id, labels in data.items():
        if isinstance(labels, (str, int)):
            labels = [labels]
        if not isinstance(labels, list):
            raise ValueError(f'image-label file {path}, entry {img_id!r}: expected '
                             f'a list of class names or ids, got {labels!r}. Give '
                             f'entry {img_id!r} a list of labels in {path}.')
        entries[str(img_id)] = labels
    return entries


def _entries_from_csv(path: str) -> Dict[str, List]:
    entries = {}
    with open(path, newline='', encoding='utf-8') as f:
        for row_no, row in enumerate(csv.reader(f), start=1):
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            if row_no == 1 and cells[0].lower() in _HEADER_FIRST_CELLS:
                continue
            img_id = cells[0]
            if img_id in entries:
                raise ValueError(f'image-label file {path}:{row_no}: image '
                                 f'{img_id!r} is listed twice. Keep one row per '
                                 f'image in {path}.')
            labels = [tok for cell in cells[1:] for tok in re.split(r'[;\s]+', cell)
                      if tok]
            entries[img_id] = labels
    return entries


def _to_class_index(label, classes: Sequence[str], path: str, img_id: str) -> int:
    num_classes = len(classes)
    if isinstance(label, bool):
        label = str(label)
    if isinstance(label, int) or (isinstance(label, str) and label.isdigit()):
        index = int(label)
        if 0 <= index < num_classes:
            return index
        raise ValueError(f'image-label file {path}, entry {img_id!r}: class id '
                         f'{index} is outside [0, {num_classes}). Use class ids '
                         f'0..{num_classes - 1} or class names in {path}.')
    if isinstance(label, str) and label in classes:
        return classes.index(label)
    raise ValueError(f'image-label file {path}, entry {img_id!r}: unknown class '
                     f'{label!r}; known classes: {", ".join(classes)}. Correct entry '
                     f'{img_id!r} of {path}.')


def read_image_label_file(path: str, classes: Sequence[str]) -> Dict[str, np.ndarray]:
    """Read ``path`` (``.json`` or ``.csv``) into ``{id: float32 (C-1,) multi-hot}``.

    Args:
        path: the label file.
        classes: the dataset's class names, background first.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: unknown class, bad id, duplicate row, bad format (naming the
            file and the entry).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'image-label file not found: {path}. Set the '
                                'dataset\'s image_labels_file to an existing .json '
                                'or .csv file.')
    classes = list(classes)
    if path.lower().endswith('.json'):
        entries = _entries_from_json(path)
    elif path.lower().endswith('.csv'):
        entries = _entries_from_csv(path)
    else:
        raise ValueError(f'image-label file {path} is neither .json nor .csv. '
                         'Convert it to one of the two formats.')
    result = {}
    for img_id, labels in entries.items():
        vector = np.zeros(len(classes) - 1, np.float32)
        for label in labels:
            index = _to_class_index(label, classes, path, img_id)
            if index > 0:
                vector[index - 1] = 1.0
        result[img_id] = vector
    return result
