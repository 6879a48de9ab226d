"""Split-aware segmentation dataset for semi-supervised training (docs/method.md §6).

One class serves the three roles of a PseudoSeg run:

* **labelled**: ``ann_file`` = a labelled split (e.g. ``ImageSets/SegmentationSemi/
  1-16_seed1.txt``), masks loaded, ``disjoint_from`` = the val list;
* **extra** (unlabelled / image-level): ``ann_file`` = e.g. the train_aug list,
  ``with_masks=False`` (no ``seg_map_path``; the pipeline must then not contain
  ``LoadAnnotations``), optionally ``exclude_split`` = the labelled list and
  ``image_labels_file`` = per-image tags;
* **val**: ``ann_file`` = the val list (``test_mode=True``).

Split-level checks happen here, at construction, and name the path or ids at fault:
missing data root / image folder / split file, empty split, duplicate ids, ids
without an image (or mask) on disk, overlap with a ``disjoint_from`` list, image-label
entries that are unknown or missing. The build costs some 20 µs per id and
decodes no image (docs/benchmark.md, pool): a list of a million ids builds in
about 20 s. Per-file content is checked by transforms when a sample is loaded
(``CheckFiniteImage`` after ``LoadImageFromFile``, ``CheckSegMap`` after
``LoadAnnotations``; both in the default pipelines), and any other loading error is
re-raised naming the image and mask files (:meth:`SemiSegDataset.prepare_data`), or,
with ``on_unreadable='skip'``, an undecodable image is replaced by the next one
(:mod:`.unreadable_images`). Every info carries ``num_classes`` and
``ignore_index`` for those checks.

The data list is serialized (mmengine's ``serialize_data=True``): one numpy byte
buffer that forked dataloader workers share. Each stored info holds only what
differs between samples (paths, id, tags); :meth:`SemiSegDataset.get_data_info`
adds the fields shared by all.
"""
import copy
import logging
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset

from .image_label_file import read_image_label_file
from .split_file import (SPLIT_TOOL_HINT, check_all_found, check_disjoint,
                         check_ids_on_disk, read_split_file)
from .transforms.sample_checks import SampleLoadError
from .unreadable_images import (attach_records, check_policy, image_unreadable,
                                skip_record, too_many_message)

__all__ = ['SemiSegDataset', 'SampleLoadError']


def _as_list(value: Union[None, str, Sequence[str]]) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _is_load_annotations(transform) -> bool:
    name = transform.get('type') if isinstance(transform, dict) else type(transform)
    if not isinstance(name, str):
        name = getattr(name, '__name__', str(name))
    return name.split('.')[-1].endswith('LoadAnnotations')


class SemiSegDataset(BaseSegDataset):
    """Base of :class:`SemiVOCDataset` / :class:`SemiCOCOObjectDataset`.

    Args:
        ann_file (str): split file (one id per line, or ``img_path mask_path``
            lines), relative to ``data_root`` unless absolute.
        with_masks (bool): give every sample a ``seg_map_path``. ``False`` for
            extra data without masks. Default True.
        exclude_split (str | list[str], optional): split file(s) whose ids are
            removed from this list (e.g. the labelled ids from the extra list);
            the number removed is logged.
        disjoint_from (str | list[str], optional): split file(s) that must share
            no id with this list (e.g. the val list); overlap is an error.
        image_labels_file (str, optional): CSV/JSON of per-image class tags (see
            :mod:`.image_label_file`); every listed id must have an entry. Each
            sample then carries ``img_labels``, float32 ``(C-1,)``.
        check_files (bool): check at build that every listed id has its image
            (and mask) file: one directory listing per folder, a few seconds per
            million files (docs/benchmark.md). False for a list you vouch for; a
            missing file then stops the run when it is first sampled. Default True.
        on_unreadable (str): ``'stop'`` (default): an image that cannot be
            decoded stops the run with an error naming it. ``'skip'``: the sample
            is replaced by the next index (``idx + 1``, wrapping), the file is
            logged and listed by ``UnreadableImageHook`` (meant for extra data;
            refused with ``test_mode=True``). See :mod:`.unreadable_images`.
        max_unreadable (int): with ``'skip'``, the most distinct unreadable
            files a run may skip; one more stops it with their list. Default 100.
        **kwargs: everything :class:`mmseg.datasets.BaseSegDataset` takes.
    """

    def __init__(self,
                 ann_file: str,
                 with_masks: bool = True,
                 exclude_split: Union[None, str, Sequence[str]] = None,
                 disjoint_from: Union[None, str, Sequence[str]] = None,
                 image_labels_file: Optional[str] = None,
                 check_files: bool = True,
                 on_unreadable: str = 'stop',
                 max_unreadable: int = 100,
                 **kwargs) -> None:
        if not ann_file:
            raise ValueError(f'{type(self).__name__} needs ann_file (a split '
                             f'file). {SPLIT_TOOL_HINT}')
        data_root = kwargs.get('data_root')
        if data_root is not None and not osp.isdir(data_root):
            raise FileNotFoundError(
                f'{type(self).__name__}: data_root {data_root!r} does not exist. '
                'Point data_root at the dataset folder (see README, Data).')
        self.with_masks = with_masks
        self.exclude_split = _as_list(exclude_split)
        self.disjoint_from = _as_list(disjoint_from)
        self.image_labels_file = image_labels_file
        self._set_file_policy(check_files, on_unreadable, max_unreadable,
                              kwargs.get('test_mode', False))
        data_prefix = dict(kwargs.get('data_prefix', None) or self.DEFAULT_PREFIX)
        if not with_masks:
            data_prefix.pop('seg_map_path', None)
        elif data_prefix.get('seg_map_path') is None:
            raise ValueError(f'{type(self).__name__}(ann_file={ann_file!r}) has '
                             "no data_prefix['seg_map_path']. Set it to the mask "
                             'folder, or set with_masks=False for data without '
                             'masks.')
        kwargs['data_prefix'] = data_prefix
        self._image_dir_name = osp.basename(
            str(data_prefix.get('img_path', '')).rstrip('/'))
        if not with_masks:
            offenders = [t for t in kwargs.get('pipeline', []) if
                         _is_load_annotations(t)]
            if offenders:
                raise ValueError(
                    f'{type(self).__name__}(ann_file={ann_file!r}) has '
                    'with_masks=False but its pipeline contains LoadAnnotations; '
                    'remove it or set with_masks=True.')
        super().__init__(ann_file=ann_file, **kwargs)

    def _set_file_policy(self, check_files: bool, on_unreadable: str,
                         max_unreadable: int, test_mode: bool) -> None:
        check_policy(type(self).__name__, on_unreadable, max_unreadable, test_mode)
        self.check_files = bool(check_files)
        self.on_unreadable = on_unreadable
        self.max_unreadable = max_unreadable
        self._skipped_files: List[str] = []  # this process's, in order
        self._unreported: List[dict] = []  # not yet attached to a sample

    # --- paths --------------------------------------------------------------
    DEFAULT_PREFIX = dict(img_path='', seg_map_path='')

    @classmethod
    def config_metainfo(cls, cfg: dict) -> dict:
        """``dict(classes, palette)`` of the dataset that ``cfg`` (its config dict)
        builds, read from the config alone (no image or split file is opened).

        The class's ``METAINFO``, narrowed by ``cfg['metainfo']`` as mmseg's
        ``BaseSegDataset`` narrows it: without a ``palette`` there, each listed class
        keeps its colour. Raises ``ValueError`` naming a class ``METAINFO`` lacks.
        """
        override = dict(cfg.get('metainfo') or {})
        known = list(cls.METAINFO['classes'])
        classes = [str(c) for c in override.get('classes', known)]
        palette = override.get('palette')
        if palette is None:
            unknown = [c for c in classes if c not in known]
            if unknown:
                raise ValueError(f'{cls.__name__}: metainfo classes {unknown} are not '
                                 f'among its classes ({", ".join(known)}).')
            palette = [cls.METAINFO['palette'][known.index(c)] for c in classes]
        return dict(classes=tuple(classes),
                    palette=[[int(v) for v in colour] for colour in palette])

    def _resolve(self, path: str) -> str:
        if self.data_root and not osp.isabs(path):
            return osp.join(self.data_root, path)
        return path

    def _read_ids(self, path: str) -> List[str]:
        return read_split_file(path, image_dir=self._image_dir_name)

    # --- loading ------------------------------------------------------------
    def load_data_list(self) -> List[dict]:
        """Read the split, apply the checks, return mmseg data infos.

        Each info has ``img_path``, ``seg_map_path`` (with masks), ``img_id``,
        ``num_classes``, ``label_map``, ``reduce_zero_label``, ``seg_fields`` and,
        with an image-label file, ``img_labels`` (float32 ``(C-1,)``).
        """
        name = type(self).__name__
        img_dir = self.data_prefix.get('img_path', '')
        if img_dir and not osp.isdir(img_dir):
            raise FileNotFoundError(f'{name}: image folder {img_dir!r} does not '
                                    "exist. Check data_root and data_prefix['img_path'].")
        ann_dir = self.data_prefix.get('seg_map_path') if self.with_masks else None
        if self.with_masks and ann_dir and not osp.isdir(ann_dir):
            raise FileNotFoundError(f'{name}: mask folder {ann_dir!r} does not exist. '
                                    "Check data_prefix['seg_map_path'], or set "
                                    'with_masks=False for data without masks.')
        ids = self._filter_ids(self._read_ids(self.ann_file), self.ann_file, 'id')

        img_paths = [osp.join(img_dir, i + self.img_suffix) for i in ids]
        seg_paths = ([osp.join(ann_dir, i + self.seg_map_suffix) for i in ids]
                     if ann_dir is not None else None)
        paths = {'image': img_paths}
        if seg_paths is not None:
            paths['mask'] = seg_paths
        if self.check_files:
            check_ids_on_disk(ids, paths, self.ann_file)
        return self._make_data_list(ids, img_paths, seg_paths, self.ann_file, 'id')

    def _filter_ids(self, ids: List[str], source: str, unit: str) -> List[str]:
        """Check ``ids`` against ``disjoint_from`` and drop those of
        ``exclude_split`` (logging how many). ``source`` names the list and
        ``unit`` its items ('id', 'image') in the messages."""
        name = type(self).__name__
        for other in self.disjoint_from:
            other_path = self._resolve(other)
            check_disjoint(ids, source, self._read_ids(other_path), other_path)
        for other in self.exclude_split:
            other_path = self._resolve(other)
            excluded = set(self._read_ids(other_path))
            kept = [i for i in ids if i not in excluded]
            print_log(f'{name}: {len(ids) - len(kept)} {unit}(s) of {source} '
                      f'are listed in {other_path} and were excluded; '
                      f'{len(kept)} remain.', logger='current')
            ids = kept
            if not ids:
                raise ValueError(f'{name}: no {unit} of {source} remains after '
                                 f'excluding {other_path}. Check exclude_split: the '
                                 'extra data must hold more than the labelled ids.')
        return ids

    def _make_data_list(self, ids: List[str], img_paths: List[str],
                        seg_paths: Optional[List[str]], source: str,
                        unit: str) -> List[dict]:
        """One stored info per id: ``img_path``, ``img_id``, ``seg_map_path``
        (with masks) and ``img_labels`` (with an image-label file, which must have
        an entry for every id); :meth:`get_data_info` adds the shared fields."""
        labels = None
        if self.image_labels_file:
            label_path = self._resolve(self.image_labels_file)
            labels = read_image_label_file(label_path, self._metainfo['classes'])
            check_all_found(
                ids, labels, type(self).__name__,
                f'{unit}(s) of {source} have no entry in the image-label file '
                f'{label_path}', f' Add an entry for each of them to '
                f'{label_path} (an id alone, or an empty label list, = no '
                'foreground class).',
                error=ValueError)
        data_list = []
        for k, img_id in enumerate(ids):
            info = dict(img_path=img_paths[k], img_id=img_id)
            if seg_paths is not None:
                info['seg_map_path'] = seg_paths[k]
            if labels is not None:
                info['img_labels'] = labels[img_id]
            data_list.append(info)
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """The mmseg data info of sample ``idx`` (see :meth:`load_data_list`):
        the stored fields plus ``num_classes``, ``label_map``,
        ``reduce_zero_label``, ``ignore_index``, ``seg_fields`` and
        ``sample_idx``."""
        info = super().get_data_info(idx)
        info.update(num_classes=len(self._metainfo['classes']),
                    label_map=copy.copy(self.label_map),
                    reduce_zero_label=self.reduce_zero_label,
                    ignore_index=self.ignore_index, seg_fields=[])
        return info

    # --- per-sample loading ------------------------------------------------------
    def prepare_data(self, idx):
        """Run the pipeline; any failure is re-raised naming the sample's files.

        :class:`SampleLoadError` from the checking transforms (``CheckFiniteImage``,
        ``CheckSegMap``) passes through unchanged. Any other failure (a corrupt
        image, an unreadable mask) becomes a :class:`SampleLoadError` naming the
        image and mask files, except with ``on_unreadable='skip'`` when the image
        cannot be decoded: then the next index is loaded instead (see
        :mod:`.unreadable_images`), and the returned sample carries the skipped
        files in its metainfo.
        """
        for _ in range(len(self)):
            try:
                data = super().prepare_data(idx)
            except SampleLoadError:
                raise
            except Exception as err:  # noqa: BLE001  re-raised with the file names
                info = self.get_data_info(idx)
                reason = (image_unreadable(info['img_path'])
                          if self.on_unreadable == 'skip' else None)
                if reason is None:
                    raise self._load_error(info, err) from err
                self._skip(info['img_path'], reason)
                idx = (idx + 1) % len(self)
                continue
            if data is not None and self._unreported:
                attach_records(data, self._unreported)
                self._unreported = []
            return data
        raise SampleLoadError(f'{type(self).__name__}: no image of {self._source} '
                              'can be read.')

    @property
    def _source(self) -> str:
        """The split file, else the image folder: names this set in messages."""
        return self.ann_file or self.data_prefix.get('img_path', '')

    def _load_error(self, info: dict, err: Exception) -> SampleLoadError:
        files = f'image {info.get("img_path")}'
        if info.get('seg_map_path'):
            files += f' (mask {info["seg_map_path"]})'
        reason = f'{type(err).__name__}: {err}'.replace('\n', ' ')
        return SampleLoadError(
            f'{type(self).__name__} could not load {files}: {reason}. Repair or '
            f'replace the file, remove id {info.get("img_id")!r} from '
            f'{self._source}; for extra images, on_unreadable=\'skip\' replaces '
            'such samples (docs/bad_input.md).')

    def _skip(self, path: str, reason: str) -> None:
        """Note an unreadable image of this process: log it the first time, stop
        past ``max_unreadable`` distinct files."""
        name = type(self).__name__
        if path in self._skipped_files:
            return
        self._skipped_files.append(path)
        if len(self._skipped_files) > self.max_unreadable:
            raise SampleLoadError(too_many_message(
                name, self._source, self._skipped_files, self.max_unreadable))
        print_log(f'{name}: skipped the unreadable image {path} ({reason}); the '
                  'next image of the list replaces it '
                  f"(on_unreadable='skip', {len(self._skipped_files)} of at most "
                  f'{self.max_unreadable}).', logger='current', level=logging.WARNING)
        self._unreported.append(skip_record(path, reason, name, self._source,
                                            self.max_unreadable))
