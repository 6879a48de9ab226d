"""A semi-supervised dataset read from plain folders, no subclass needed.

The data side of docs/method.md §6 for your own images.

Layout (every folder name is a constructor argument; these are the defaults of
``configs/pseudoseg/_base_/datasets/folder_semi.py``)::

    <data_root>/classes.txt                 one class per line, background first;
                                            optionally ``name R G B`` (palette)
    <data_root>/labelled/images/<id>.<ext>  any of .jpg .jpeg .png .bmp .tif .tiff .webp
    <data_root>/labelled/masks/<id>.png     class indices (grey or palette PNG),
                                            255 = ignore
    <data_root>/unlabelled/images/<id>.<ext>
    <data_root>/val/images/<id>.<ext>  +  val/masks/<id>.png
    <data_root>/tags.csv                    optional image-level tags (CSV or JSON,
                                            see :mod:`.image_label_file`)

An id is the image path relative to the image folder, without its extension (sub
folders are allowed: ``site_a/0001``). Without ``ann_file`` every image of the
folder is used; with one (e.g. a labelled split written by ``tools/make_splits.py
folder``) only the listed ids. ``exclude_split`` drops the ids of split files (the
labelled ids, when the extra images are the rest of the labelled folder).

Checks at construction name the folder or file at fault: a missing folder, an
empty folder, two images with one id, an image of the labelled folder without its
mask, a split id with no image, a class name in the tags that ``classes`` does not
list. Mask contents (values outside ``[0, C)`` and 255, size) are checked when a
sample is loaded, naming the mask file (:class:`SemiSegDataset`).
"""
import copy
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

from mmengine.dataset import ConcatDataset
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from ..visualization.palette import voc_colormap
from .image_listing import IMAGE_EXTENSIONS, list_images
from .semi_seg_dataset import SemiSegDataset, _as_list
from .split_file import (check_all_found, check_files_exist, check_ids_on_disk,
                         read_split_file)

__all__ = ['SemiFolderDataset', 'SemiFolderTrainDataset', 'read_classes_file',
           'folder_metainfo']


def read_classes_file(path: str) -> Tuple[List[str], Optional[List[List[int]]]]:
    """Class names (background first) and optional palette from ``classes.txt``.

    Each non-blank line is ``name`` or ``name R G B`` (a name may contain spaces;
    the last three integers are the colour). Either every line has a colour or none.

    Returns:
        ``(classes, palette)``; ``palette`` is None when no line has a colour.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'classes file not found: {path}\n'
            'Write one class name per line there (background first), or set '
            'classes=(...) in the dataset config.')
    classes, palette = [], []
    with open(path, encoding='utf-8') as f:
        for line_no, raw in enumerate(f, start=1):
            fields = raw.split()
            if not fields:
                continue
            if len(fields) >= 4 and all(x.isdigit() for x in fields[-3:]):
                colour = [int(x) for x in fields[-3:]]
                if max(colour) > 255:
                    raise ValueError(f'{path}:{line_no}: colour {colour} is not RGB '
                                     '(0-255 each).')
                palette.append(colour)
                fields = fields[:-3]
            classes.append(' '.join(fields))
    if len(classes) < 2:
        raise ValueError(f'classes file {path} lists {len(classes)} class(es); '
                         'segmentation needs background plus at least one class.')
    if palette and len(palette) != len(classes):
        raise ValueError(f'classes file {path}: {len(palette)} of {len(classes)} '
                         'lines have a colour; give every class a colour or none.')
    return classes, (palette or None)


def folder_metainfo(data_root: str, classes: Optional[Sequence[str]] = None,
                    palette: Optional[Sequence[Sequence[int]]] = None,
                    classes_file: str = 'classes.txt',
                    name: str = 'SemiFolderDataset') -> dict:
    """``dict(classes, palette)`` of a folder dataset: ``classes`` or the names of
    ``<data_root>/<classes_file>``; ``palette``, else the file's colours, else the
    VOC colour map. Raises naming the classes file or the inconsistency."""
    if classes is None:
        classes, file_palette = read_classes_file(osp.join(data_root, classes_file))
        palette = palette if palette is not None else file_palette
    classes = [str(c) for c in classes]
    if len(classes) < 2:
        raise ValueError(f'{name}: classes={classes} must list background and '
                         'at least one class.')
    if len(set(classes)) != len(classes):
        raise ValueError(f'{name}: classes lists a name twice: {classes}.')
    if palette is None:
        palette = voc_colormap(len(classes))
    if len(palette) != len(classes):
        raise ValueError(f'{name}: palette has {len(palette)} colours for '
                         f'{len(classes)} classes.')
    return dict(classes=tuple(classes), palette=[list(map(int, c)) for c in palette])


@DATASETS.register_module()
class SemiFolderDataset(SemiSegDataset):
    """Images (+ masks) from folders; labelled, extra or val by its arguments.

    Args:
        data_root (str): the dataset folder.
        img_dir (str): image folder, relative to ``data_root``.
        mask_dir (str, optional): mask folder (``<id>.png`` per image); None =
            images without masks (extra data). With a mask folder every listed
            image must have its mask.
        classes (Sequence[str], optional): class names, background first. None =
            read ``classes_file``.
        palette (Sequence[Sequence[int]], optional): one RGB colour per class
            (default: the colours of ``classes_file``, else the VOC colour map).
        classes_file (str): ``classes.txt`` relative to ``data_root`` (used when
            ``classes`` is None).
        ann_file (str): optional split file (ids, one per line) restricting the
            folder to the listed images; '' = every image.
        img_suffix (str, optional): with ``ann_file``, the extension of every
            listed image (``'.jpg'``): each id's image is ``<img_dir>/<id><suffix>``
            and the folder is not scanned (a large pool starts in seconds,
            docs/own_data.md). None (default): the scan finds each id's image.
        exclude_split (str | list[str], optional): split file(s) whose ids are
            dropped.
        disjoint_from (str | list[str], optional): split file(s) that must share
            no id with this set.
        image_labels_file (str, optional): per-image tags (CSV/JSON of class
            names or ids); every image needs an entry. Samples then carry
            ``img_labels`` float32 ``(C-1,)``.
        check_files (bool): check that every image has its mask file and, with
            ``img_suffix``, that every listed image exists (without it the folder
            scan finds the images). False for a list you vouch for. Default True.
        on_unreadable (str), max_unreadable (int): what an image that cannot be
            decoded does during training, ``'stop'`` (default) or ``'skip'``; see
            :class:`SemiSegDataset`.
        **kwargs: :class:`mmseg.datasets.BaseSegDataset` arguments (``pipeline``,
            ``test_mode``, ``ignore_index``, ...).

    ``num_classes = len(classes)`` must equal the model's ``num_classes`` (2 for
    a binary task: background + one class).
    """
    METAINFO: dict = dict()

    def __init__(self,
                 data_root: str,
                 img_dir: str = 'images',
                 mask_dir: Optional[str] = 'masks',
                 classes: Optional[Sequence[str]] = None,
                 palette: Optional[Sequence[Sequence[int]]] = None,
                 classes_file: str = 'classes.txt',
                 ann_file: str = '',
                 img_suffix: Optional[str] = None,
                 exclude_split: Union[None, str, Sequence[str]] = None,
                 disjoint_from: Union[None, str, Sequence[str]] = None,
                 image_labels_file: Optional[str] = None,
                 check_files: bool = True,
                 on_unreadable: str = 'stop',
                 max_unreadable: int = 100,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        name = type(self).__name__
        if not data_root or not osp.isdir(data_root):
            raise FileNotFoundError(
                f'{name}: data_root {data_root!r} does not exist.\n'
                'Set data_root to the dataset folder.')
        if img_suffix is not None and not ann_file:
            raise ValueError(f'{name}: img_suffix={img_suffix!r} needs ann_file, '
                             'the list of the ids; without one the folder is '
                             'scanned and every extension is found.')
        self.listed_suffix = img_suffix
        metainfo = dict(metainfo or {}, **folder_metainfo(
            data_root, classes, palette, classes_file, name))
        self.with_masks = mask_dir is not None
        self.exclude_split = _as_list(exclude_split)
        self.disjoint_from = _as_list(disjoint_from)
        self.image_labels_file = image_labels_file
        self._set_file_policy(check_files, on_unreadable, max_unreadable,
                              kwargs.get('test_mode', False))
        data_prefix = dict(img_path=img_dir)
        if mask_dir is not None:
            data_prefix['seg_map_path'] = mask_dir
        self._image_dir_name = ''
        # SemiSegDataset.__init__ insists on a split file; a folder needs none.
        BaseSegDataset.__init__(self, ann_file=ann_file, data_root=data_root,
                                data_prefix=data_prefix, metainfo=metainfo,
                                img_suffix='', seg_map_suffix='.png', **kwargs)

    @classmethod
    def config_metainfo(cls, cfg: dict) -> dict:
        """``dict(classes, palette)`` of the dataset ``cfg`` builds
        (:func:`folder_metainfo`: reads ``classes.txt`` when ``classes`` is None)."""
        return folder_metainfo(cfg.get('data_root') or '', cfg.get('classes'),
                               cfg.get('palette'),
                               cfg.get('classes_file', 'classes.txt'), cls.__name__)

    def _read_ids(self, path: str) -> List[str]:
        return read_split_file(path)

    def _scan(self, img_dir: str) -> Tuple[List[str], List[str]]:
        """(ids, image paths) of the folder, or of the split file's ids."""
        name = type(self).__name__
        images = list_images(img_dir)
        if not images:
            raise ValueError(f'{name}: image folder {img_dir} holds no image '
                             f'({", ".join(IMAGE_EXTENSIONS)}).\n'
                             'Put the images there or set img_dir.')
        ids = list(images)
        if self.ann_file:
            ids = self._read_ids(self.ann_file)
            check_all_found(ids, images, name, f'id(s) of the split file '
                            f'{self.ann_file} have no image in {img_dir}',
                            '\nRe-create the split (tools/make_splits.py '
                            'folder) or fix the file.')
        ids = self._filter_ids(ids, self.ann_file or img_dir, 'image')
        return ids, [osp.join(img_dir, images[i]) for i in ids]

    def load_data_list(self) -> List[dict]:
        """One info per image: ``img_path``, ``seg_map_path`` (with masks),
        ``img_id``, ``num_classes``, ``label_map``, ``reduce_zero_label``,
        ``seg_fields`` and, with tags, ``img_labels`` (float32 ``(C-1,)``)."""
        name = type(self).__name__
        img_dir = self.data_prefix['img_path']
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'{name}: image folder {img_dir} does not '
                                    'exist.\nCreate it or set img_dir.')
        if self.listed_suffix is not None:  # a list of ids: no folder scan
            ids = self._filter_ids(self._read_ids(self.ann_file), self.ann_file,
                                   'image')
            img_paths = [osp.join(img_dir, i + self.listed_suffix) for i in ids]
            if self.check_files:
                check_ids_on_disk(ids, {'image': img_paths}, self.ann_file)
        else:
            ids, img_paths = self._scan(img_dir)
        seg_paths = None
        if self.with_masks:
            mask_dir = self.data_prefix['seg_map_path']
            if not osp.isdir(mask_dir):
                raise FileNotFoundError(
                    f'{name}: mask folder {mask_dir} does not exist.\n'
                    'Put one <id>.png per image there, or set mask_dir=None for '
                    'images without masks.')
            seg_paths = [osp.join(mask_dir, i + '.png') for i in ids]
            if self.check_files:
                check_files_exist(seg_paths, img_paths, name,
                                  f'image(s) of {img_dir} have no mask in '
                                  f'{mask_dir}', '\nAdd the masks, or move those '
                                  'images to the unlabelled folder.')
        return self._make_data_list(ids, img_paths, seg_paths,
                                    self.ann_file or img_dir, 'image')


def _set_crop(pipeline: Sequence, crop_size) -> list:
    """A copy of ``pipeline`` with ``crop_size`` in every ``RandomCrop`` and as the
    padded canvas of every ``PaddedCutOut``, also inside ``MultiView`` branches (the
    pipelines of ``_base_/datasets/pipelines.py``)."""
    out = []
    for t in copy.deepcopy(list(pipeline)):
        if isinstance(t, dict):
            if str(t.get('type', '')).split('.')[-1] in ('RandomCrop',
                                                         'PaddedCutOut'):
                t['crop_size'] = tuple(crop_size)
            for key, value in t.items():
                if key != 'type' and isinstance(value, (list, tuple)) and value and \
                        all(isinstance(v, dict) for v in value):
                    t[key] = _set_crop(value, crop_size)
        out.append(t)
    return out


@DATASETS.register_module()
class SemiFolderTrainDataset(ConcatDataset):
    """``ConcatDataset([labelled, extra])`` of two :class:`SemiFolderDataset` that
    share ``data_root`` and the classes: the train set of a folder recipe.

    It exists so that a config sets the data root, classes and crop with dict keys
    (text configs replace inherited lists, and ``ConcatDataset.datasets`` is one);
    :class:`SemiBatchSampler` reads it like any ``ConcatDataset``.

    Args:
        data_root, classes, palette, classes_file: as :class:`SemiFolderDataset`,
            for both members.
        labelled (dict): the labelled member's other arguments (``img_dir``,
            ``mask_dir``, ``ann_file``, ``pipeline``, ...).
        extra (dict): the extra member's (``mask_dir=None`` for unlabelled
            images, ``image_labels_file`` for tags, ``pipeline``, ...).
        crop_size (tuple[int, int], optional): ``(h, w)`` written into every
            ``RandomCrop`` of both pipelines (None = keep the pipelines' own).
        lazy_init (bool): as :class:`mmengine.dataset.ConcatDataset`.
    """

    def __init__(self, data_root: str, labelled: dict, extra: dict,
                 classes: Optional[Sequence[str]] = None,
                 palette: Optional[Sequence[Sequence[int]]] = None,
                 classes_file: str = 'classes.txt',
                 crop_size: Optional[Sequence[int]] = None,
                 lazy_init: bool = False) -> None:
        members = []
        for part in (labelled, extra):
            cfg = dict(copy.deepcopy(dict(part)), data_root=data_root,
                       classes=classes, palette=palette, classes_file=classes_file)
            cfg.pop('type', None)
            if crop_size is not None and 'pipeline' in cfg:
                cfg['pipeline'] = _set_crop(cfg['pipeline'], crop_size)
            members.append(SemiFolderDataset(**cfg))
        super().__init__(members, lazy_init=lazy_init)
