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
entries that are unknown or missing. Per-file content is checked by transforms
when a sample is loaded (``CheckFiniteImage`` after ``LoadImageFromFile``,
``CheckSegMap`` after ``LoadAnnotations``; both in the default pipelines), and any
other loading error is re-raised naming the image and mask files
(:meth:`SemiSegDataset.prepare_data`). Every info carries ``num_classes`` and
``ignore_index`` for those checks.
"""
import logging
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset

from .image_label_file import read_image_label_file
from .split_file import (SPLIT_TOOL_HINT, check_all_found, check_disjoint,
                         check_ids_on_disk, format_offenders, read_split_file)
from .transforms.sample_checks import SampleLoadError

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
        skip_unreadable (bool): check every image with PIL at construction and
            drop the unreadable ones, logging their number and first ids (for
            extra data only; labelled data should never skip). Default False.
        **kwargs: everything :class:`mmseg.datasets.BaseSegDataset` takes.
    """

    def __init__(self,
                 ann_file: str,
                 with_masks: bool = True,
                 exclude_split: Union[None, str, Sequence[str]] = None,
                 disjoint_from: Union[None, str, Sequence[str]] = None,
                 image_labels_file: Optional[str] = None,
                 skip_unreadable: bool = False,
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
        self.skip_unreadable = skip_unreadable
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
        """One mmseg data info per id (see :meth:`load_data_list`): reads the
        image-label file (every id needs an entry) and, with
        ``skip_unreadable``, drops the images PIL cannot open."""
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

        keep = list(range(len(ids)))
        if self.skip_unreadable:
            keep = self._readable(ids, img_paths)

        num_classes = len(self._metainfo['classes'])
        data_list = []
        for k in keep:
            info = dict(img_path=img_paths[k], img_id=ids[k], num_classes=num_classes,
                        label_map=self.label_map,
                        reduce_zero_label=self.reduce_zero_label,
                        ignore_index=self.ignore_index, seg_fields=[])
            if seg_paths is not None:
                info['seg_map_path'] = seg_paths[k]
            if labels is not None:
                info['img_labels'] = labels[ids[k]]
            data_list.append(info)
        return data_list

    def _readable(self, ids: List[str], img_paths: List[str]) -> List[int]:
        """Indices of the images PIL can open and verify; log the others."""
        from PIL import Image
        keep, bad = [], []
        for k, path in enumerate(img_paths):
            try:
                with Image.open(path) as im:
                    im.verify()
                keep.append(k)
            except Exception:  # noqa: BLE001  any decoding failure counts
                bad.append(ids[k])
        if bad:
            print_log(f'{type(self).__name__}: skipped {len(bad)} unreadable '
                      f'image(s) of {self.ann_file}: {format_offenders(bad)}.',
                      logger='current', level=logging.WARNING)
        if not keep:
            raise ValueError(f'{type(self).__name__}: no image listed in '
                             f'{self.ann_file} can be read. Check the image folder '
                             "data_prefix['img_path'] and img_suffix.")
        return keep

    # --- per-sample loading ------------------------------------------------------
    def prepare_data(self, idx):
        """Run the pipeline; any failure is re-raised naming the sample's files.

        :class:`SampleLoadError` from the checking transforms (``CheckFiniteImage``,
        ``CheckSegMap``) passes through unchanged. Any other failure (a corrupt
        image, an unreadable mask) becomes a :class:`SampleLoadError` naming the
        image and mask files; with ``skip_unreadable=True`` the sample becomes
        ``None`` instead (mmengine then draws another one) and a warning is logged.
        """
        try:
            return super().prepare_data(idx)
        except SampleLoadError:
            raise
        except Exception as err:  # noqa: BLE001  re-raised with the file names
            info = self.get_data_info(idx)
            files = f'image {info.get("img_path")}'
            if info.get('seg_map_path'):
                files += f' (mask {info["seg_map_path"]})'
            reason = f'{type(err).__name__}: {err}'.replace('\n', ' ')
            if self.skip_unreadable:
                print_log(f'{type(self).__name__}: skipped the unreadable {files}: '
                          f'{reason}', logger='current', level=logging.WARNING)
                return None
            raise SampleLoadError(
                f'{type(self).__name__} could not load {files}: {reason}. Repair '
                f'or replace the file, or remove id {info.get("img_id")!r} from '
                f'{self.ann_file}.') from err
