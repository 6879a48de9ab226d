"""Readers and checks for split files (docs/method.md §6).

Two line formats are accepted, as used in the field:

* one image id per line: ``2007_000733`` (VOC) or ``train2017/000000283213`` (COCO);
* two paths per line: ``JPEGImages/2007_000733.jpg SegmentationClass/2007_000733.png``
  (a leading ``/`` is allowed). The id is the first path without its extension and
  without the image folder (``image_dir``, e.g. ``JPEGImages``). Masks are always
  read from the dataset's ``data_prefix['seg_map_path']``; the second path only
  marks the format.

Blank lines and surrounding whitespace are ignored. Every other irregularity is an
error that names the file and the first offending lines: a missing file, an empty
list, a line with more than two fields, a file mixing both formats, duplicate ids.
"""
import os
import os.path as osp
from collections import Counter
from typing import Container, Dict, Iterable, List, Optional, Sequence

__all__ = ['read_split_file', 'parse_split_lines', 'check_disjoint',
           'check_all_found', 'check_files_exist', 'check_ids_on_disk',
           'format_offenders', 'SPLIT_TOOL_HINT']

SPLIT_TOOL_HINT = ('Create split files with `python tools/make_splits.py` or place '
                   'the lists published with the PseudoSeg code there (see README).')
MAX_SHOWN = 5


def format_offenders(items: Sequence, limit: int = MAX_SHOWN) -> str:
    """``'a', 'b', 'c' (and 7 more)`` for error messages."""
    items = list(items)
    shown = ', '.join(repr(x) for x in items[:limit])
    if len(items) > limit:
        shown += f' (and {len(items) - limit} more)'
    return shown


def _strip_image_dir(path: str, image_dir: Optional[str]) -> str:
    path = path.lstrip('/')
    if image_dir:
        prefix = image_dir.strip('/') + '/'
        if path.startswith(prefix):
            path = path[len(prefix):]
    return osp.splitext(path)[0]


def parse_split_lines(lines: Iterable[str], source: str = '<lines>',
                      image_dir: Optional[str] = None) -> List[str]:
    """Turn the raw lines of a split file into image ids (in file order).

    Args:
        lines: raw lines (with or without newlines).
        source: the file name, for error messages.
        image_dir: name of the image folder to strip from two-path lines
            (``'JPEGImages'`` for VOC; ``None`` or ``''`` keeps COCO's
            ``train2017/...`` ids intact).

    Returns:
        list[str]: ids, duplicates rejected.
    """
    ids, line_nos, formats = [], [], {}
    for line_no, raw in enumerate(lines, start=1):
        fields = raw.split()
        if not fields:
            continue
        if len(fields) > 2:
            raise ValueError(
                f'{source}:{line_no}: expected an image id or "image_path '
                f'mask_path", got {len(fields)} fields: {raw.strip()!r}. Write one '
                f'id (or one image and one mask path) per line of {source}.')
        formats.setdefault(len(fields), line_no)
        if len(formats) > 1:
            raise ValueError(
                f'{source} mixes one-id lines (first at line {formats[1]}) and '
                f'two-path lines (first at line {formats[2]}). Use one of the two '
                f'formats throughout {source}.')
        ids.append(fields[0] if len(fields) == 1 else
                   _strip_image_dir(fields[0], image_dir))
        line_nos.append(line_no)
    if not ids:
        raise ValueError(f'split file {source} lists no images (empty file). Write '
                         f'one image id per line into {source}. {SPLIT_TOOL_HINT}')
    counts = Counter(ids)
    duplicates = [i for i in counts if counts[i] > 1]
    if duplicates:
        first_lines = {}
        for img_id, line_no in zip(ids, line_nos):
            if counts[img_id] > 1:
                first_lines.setdefault(img_id, []).append(line_no)
        details = [f'{d!r} (lines {first_lines[d]})' for d in duplicates[:MAX_SHOWN]]
        more = (f' (and {len(duplicates) - MAX_SHOWN} more)'
                if len(duplicates) > MAX_SHOWN else '')
        raise ValueError(f'split file {source} lists {len(duplicates)} id(s) more '
                         f'than once: {", ".join(details)}{more}. Keep one line per '
                         f'id in {source}.')
    return ids


def read_split_file(path: str, image_dir: Optional[str] = None) -> List[str]:
    """Read a split file in either format (see module doc) and return its ids."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'split file not found: {path}. {SPLIT_TOOL_HINT}')
    with open(path, encoding='utf-8') as f:
        return parse_split_lines(f, source=path, image_dir=image_dir)


def check_disjoint(ids: Sequence[str], source: str, other_ids: Sequence[str],
                   other_source: str) -> None:
    """Raise if any id of ``source`` is also listed in ``other_source``.

    Used to make sure a labelled (or extra) list shares no image with the val list.
    """
    other = set(other_ids)
    overlap = [i for i in ids if i in other]
    if overlap:
        raise ValueError(
            f'{len(overlap)} id(s) of {source} are also in {other_source}: '
            f'{format_offenders(overlap)}. Training and validation lists must '
            f'not overlap: remove these ids from {source}.')


class _DirListing:
    """Existence checks through one ``os.listdir`` per folder and a set lookup
    per file: 3 to 5 s for a million files (docs/benchmark.md, pool)."""

    def __init__(self):
        self._cache: Dict[str, set] = {}

    def exists(self, path: str) -> bool:
        head, sep, name = path.rpartition(os.sep)  # osp.split, without its checks
        folder = head or sep
        if folder not in self._cache:
            try:
                self._cache[folder] = set(os.listdir(folder or '.'))
            except (FileNotFoundError, NotADirectoryError):
                self._cache[folder] = set()
        return name in self._cache[folder]


def check_all_found(ids: Sequence[str], found: Container, owner: str, what: str,
                    hint: str, error: type = FileNotFoundError) -> None:
    """Raise ``error`` naming the ids of ``ids`` that are not in ``found``.

    The message reads ``'<owner>: <n> <what>: <first ids>.'`` followed by ``hint``
    (what to do; it starts with its separator, ``' '`` or ``'\\n'``).
    """
    missing = [i for i in ids if i not in found]
    if missing:
        raise error(f'{owner}: {len(missing)} {what}: '
                    f'{format_offenders(missing)}.{hint}')


def check_files_exist(paths: Sequence[str], names: Sequence[str], owner: str,
                      what: str, hint: str) -> None:
    """Raise ``FileNotFoundError`` if a file of ``paths`` does not exist.

    The message reads ``'<owner>: <n> <what>: <names of the first missing>;
    expected e.g. <first missing path>.'`` followed by ``hint`` (what to do; it
    starts with its separator, ``' '`` or ``'\\n'``). ``names[k]`` names
    ``paths[k]`` (its id, or its image); ``owner`` may be empty.
    """
    listing = _DirListing()
    missing = [k for k, path in enumerate(paths) if not listing.exists(path)]
    if missing:
        raise FileNotFoundError(
            f'{owner + ": " if owner else ""}{len(missing)} {what}: '
            f'{format_offenders([names[k] for k in missing])}; expected e.g. '
            f'{paths[missing[0]]}.{hint}')


def check_ids_on_disk(ids: Sequence[str], paths: Dict[str, Sequence[str]],
                      source: str) -> None:
    """Raise if a listed id has no file on disk.

    Args:
        ids: the ids, in file order.
        paths: ``{'image': [path per id], 'mask': [...]}``.
        source: the split file, for the message.
    """
    for kind, kind_paths in paths.items():
        check_files_exist(kind_paths, ids, '',
                          f'id(s) listed in {source} have no {kind} file',
                          f' Add the missing files or remove these ids from '
                          f'{source}.')
