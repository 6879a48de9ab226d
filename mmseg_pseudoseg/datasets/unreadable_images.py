"""What a dataset does with an image that cannot be read during training.

A large extra pool is not decoded when the dataset is built (that would cost one
image decode per id); a corrupt file is found when a sample first loads it. The
dataset argument ``on_unreadable`` says what happens then (docs/bad_input.md):

* ``'stop'`` (default): the run stops with :class:`SampleLoadError` naming the file.
* ``'skip'``: the sample is replaced by the next index of the same dataset
  (``idx + 1``, ``idx + 2``, ... wrapping around), so a seeded run draws the same
  batches every time; each file is logged once per process with a warning, and
  more than ``max_unreadable`` distinct files stop the run with their list.

"Unreadable" means that the image file itself cannot be decoded
(:func:`image_unreadable`); any other failure of the pipeline stops the run under
both policies. The files skipped by a process travel with the replacement sample
as the data-sample metainfo :data:`METAINFO_KEY` (a list of :func:`skip_record`
dicts), so they reach the main process from dataloader workers too;
``UnreadableImageHook`` collects them there, enforces ``max_unreadable`` over all
workers and writes the run's list.
"""
from typing import Iterable, List, Optional

import mmcv
from mmengine import fileio
from mmengine.structures import BaseDataElement

from .split_file import format_offenders

__all__ = ['UNREADABLE_POLICIES', 'METAINFO_KEY', 'check_policy', 'image_unreadable',
           'skip_record', 'attach_records', 'records_of_batch', 'too_many_message']

UNREADABLE_POLICIES = ('stop', 'skip')
METAINFO_KEY = 'skipped_unreadable'


def check_policy(owner: str, on_unreadable: str, max_unreadable: int,
                 test_mode: bool) -> None:
    """Raise ``ValueError`` naming the argument when the policy is not usable."""
    if on_unreadable not in UNREADABLE_POLICIES:
        raise ValueError(f'{owner}: on_unreadable={on_unreadable!r} is not one of '
                         f'{UNREADABLE_POLICIES}.')
    if isinstance(max_unreadable, bool) or not isinstance(max_unreadable, int) \
            or max_unreadable < 0:
        raise ValueError(f'{owner}: max_unreadable={max_unreadable!r} must be an '
                         'int >= 0 (the most distinct files a run may skip).')
    if on_unreadable == 'skip' and test_mode:
        raise ValueError(f"{owner}: on_unreadable='skip' needs a training set; an "
                         'evaluation set (test_mode=True) must score every image. '
                         "Use on_unreadable='stop' there.")


def image_unreadable(path: str) -> Optional[str]:
    """Why ``path`` cannot be decoded as an image (``None`` when it can).

    Reads and decodes it as ``LoadImageFromFile`` does by default (mmengine
    ``fileio.get`` + ``mmcv.imfrombytes``); called only after a sample failed.
    """
    try:
        img = mmcv.imfrombytes(fileio.get(path))
    except Exception as err:  # noqa: BLE001  any read or decode failure counts
        return f'{type(err).__name__}: {err}'.replace('\n', ' ')
    return None if img is not None else 'the decoder returned no image'


def skip_record(path: str, reason: str, dataset: str, source: str,
                max_unreadable: int) -> dict:
    """One skipped file: ``file``, ``reason``, ``dataset`` (class name), ``source``
    (its split file or image folder) and that dataset's ``max_unreadable``."""
    return dict(file=path, reason=reason, dataset=dataset, source=source,
                max_unreadable=max_unreadable)


def _data_samples(data) -> Iterable[BaseDataElement]:
    """The data samples of one pipeline output or one collated batch:
    ``data['data_samples']`` as a sample, a list of them, or a dict of branch ->
    sample / list (docs/batch_format.md); ``None`` entries are left out."""
    if not isinstance(data, dict):
        return []
    found, todo = [], [data.get('data_samples')]
    while todo:
        item = todo.pop()
        if isinstance(item, BaseDataElement):
            found.append(item)
        elif isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
    return found


def attach_records(data, records: List[dict]) -> None:
    """Put ``records`` in the metainfo of every data sample of ``data`` (one
    pipeline output)."""
    for sample in _data_samples(data):
        sample.set_metainfo({METAINFO_KEY: list(records)})


def records_of_batch(data_batch) -> List[dict]:
    """Every record carried by the data samples of a collated batch."""
    records = []
    for sample in _data_samples(data_batch):
        records.extend(sample.metainfo.get(METAINFO_KEY, ()))
    return records


def too_many_message(owner: str, source: str, files: List[str],
                     max_unreadable: int) -> str:
    """The error for more than ``max_unreadable`` distinct unreadable files."""
    return (f'{owner}: {len(files)} unreadable image(s) of {source} exceed '
            f'max_unreadable={max_unreadable}: {format_offenders(files, limit=20)}. '
            'Repair or remove these files (or their ids from the list), or raise '
            'max_unreadable.')

