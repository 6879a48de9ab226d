"""Export a trained PseudoSeg model as a plain mmseg ``EncoderDecoder``.

At test time PseudoSeg is the ``EncoderDecoder`` it extends (docs/method.md §1): the
SGC head and any teacher copy only act in training. The export writes

* ``OUT_DIR/<name>.py``: a config stock mmseg builds without this package (no
  ``custom_imports`` of it, no ``PseudoSeg``/``sgc_head``, no training data or
  schedule); the model, ``test_pipeline``, test/val loaders and evaluators are kept;
  components of this package become their stock bases (``SemiSegDataPreProcessor``
  -> ``SegDataPreProcessor``, the split-aware datasets -> ``BaseSegDataset`` with the
  class names and palette, metrics of this package are dropped);
* ``OUT_DIR/<name>.pth``: ``{'state_dict', 'meta'}`` with the training-only weights
  removed (the prefixes the model's class declares, ``TRAINING_ONLY_PREFIXES``),
  loadable weights-only by plain torch.

A backbone this package registers (``Xception65``) has no stock mmseg counterpart; its
module file, which imports only torch/mmcv/mmengine/mmseg, is copied next to the
config and named in its ``custom_imports`` (run with ``PYTHONPATH=OUT_DIR``).
"""
import copy
import inspect
import os
import os.path as osp
import shutil
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config

from ..models.segmentors import training_only_prefixes
from ..utils.config_checks import PLUGIN, registered_type_names
from ..utils.config_tree import iter_config_dicts
from .checkpoint import (TRAINING_ONLY_PREFIXES, check_classes, check_state_dict,
                         model_num_classes, state_dict_of)

__all__ = ['strip_training_only', 'stock_config', 'export_stock_model']


def strip_training_only(state: Dict[str, torch.Tensor],
                        model_type: Optional[str] = None) -> Dict[str, torch.Tensor]:
    """``state`` without the training-only keys: those under the prefixes that
    segmentor ``model_type`` declares, or under :data:`TRAINING_ONLY_PREFIXES`
    (every segmentor's) when it is None."""
    prefixes = (TRAINING_ONLY_PREFIXES if model_type is None
                else training_only_prefixes(model_type))
    return {k: v for k, v in state.items() if not k.startswith(prefixes)}


def _stock_base(type_name: str, registry) -> Tuple[str, type]:
    """The nearest stock mmseg ancestor of a component this package registered."""
    cls = registry.get(type_name)
    for base in cls.__mro__[1:]:
        if not base.__module__.startswith(PLUGIN) and \
                registry.get(base.__name__) is base:
            return base.__name__, base
    raise ValueError(f'{type_name} has no stock mmseg base class to export to.')


def _accepted(cls: type, cfg: dict) -> dict:
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return cfg
    return {k: v for k, v in cfg.items() if k == 'type' or k in params}


def _plain(value):
    """``value`` with numpy scalars/arrays and tuples made plain (weights-only)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _stock_model(model: dict, ours: set) -> Tuple[dict, List[type]]:
    """The EncoderDecoder config of ``model`` and the classes of ours it still needs."""
    from mmseg.models import EncoderDecoder
    from mmseg.registry import MODELS
    model = copy.deepcopy(model)
    if model.get('type') in ours:
        model['type'], _ = _stock_base(model['type'], MODELS)
    if model['type'] != 'EncoderDecoder':
        raise ValueError(f"export needs an EncoderDecoder-based model, got "
                         f"{model['type']}.")
    model = _accepted(EncoderDecoder, model)  # drops sgc_head, semi settings, ...
    model['pretrained'] = None  # the weights come from the exported checkpoint
    if isinstance(model.get('backbone'), dict):
        model['backbone']['init_cfg'] = None
    prep = model.get('data_preprocessor')
    if prep and prep.get('type') in ours:
        prep['type'], base = _stock_base(prep['type'], MODELS)
        model['data_preprocessor'] = _accepted(base, prep)
    needed = []
    for part in ('backbone', 'neck', 'decode_head', 'auxiliary_head'):
        node = model.get(part)
        for sub in (node if isinstance(node, list) else [node]):
            if isinstance(sub, dict) and sub.get('type') in ours:
                needed.append(MODELS.get(sub['type']))
    return model, needed


def _dataset_metainfo(dataset: dict, cls: type,
                      fallback: Optional[dict] = None) -> dict:
    """``dict(classes, palette)`` of a dataset config of ours, from the config alone
    (``config_metainfo``: VOC/COCO class lists narrowed by ``metainfo``, a folder
    dataset's ``classes``/``palette`` or its ``classes.txt``). A folder dataset whose
    ``classes.txt`` is not on this machine takes ``fallback`` (the checkpoint's
    ``dataset_meta``) when given."""
    if not hasattr(cls, 'config_metainfo'):
        return dict(classes=cls.METAINFO['classes'], palette=cls.METAINFO['palette'])
    try:
        return cls.config_metainfo(dataset)
    except FileNotFoundError:
        if fallback is None:
            raise
        return fallback


def _common_suffix(img_dir: str) -> str:
    """The most frequent image suffix under ``img_dir`` ('.jpg' if it is absent)."""
    from ..datasets.image_listing import list_images
    if not osp.isdir(img_dir):
        return '.jpg'
    suffixes = [osp.splitext(p)[1] for p in list_images(img_dir).values()]
    return max(sorted(set(suffixes)), key=suffixes.count) if suffixes else '.jpg'


def _stock_dataset(dataset: dict, ours: set, fallback: Optional[dict] = None) -> dict:
    from mmseg.datasets import BaseSegDataset
    from mmseg.registry import DATASETS
    if dataset.get('type') not in ours:
        return dataset
    cls = DATASETS.get(dataset['type'])
    out = dict(dataset)
    prefix = dict(dataset.get('data_prefix') or getattr(cls, 'DEFAULT_PREFIX', {}))
    for key, folder in (('img_path', 'img_dir'), ('seg_map_path', 'mask_dir')):
        if dataset.get(folder):  # the folder dataset names its folders directly
            prefix[key] = dataset[folder]
    out['data_prefix'] = prefix
    out['metainfo'] = _plain(_dataset_metainfo(dataset, cls, fallback))
    if cls.__name__ == 'SemiFolderDataset':  # stock mmseg lists one image suffix
        out.setdefault('img_suffix', _common_suffix(
            osp.join(dataset.get('data_root') or '', prefix.get('img_path', ''))))
    out['type'] = 'BaseSegDataset'
    return _accepted(BaseSegDataset, out)


def _module_files(classes: List[type], out_dir: str) -> List[str]:
    """Copy each class's module into ``out_dir``; return the module names."""
    names = []
    os.makedirs(out_dir, exist_ok=True)
    for cls in classes:
        src = inspect.getsourcefile(sys.modules[cls.__module__])
        text = open(src, encoding='utf-8').read()
        if f'import {PLUGIN}' in text or f'from {PLUGIN}' in text or \
                '\nfrom .' in text:
            raise ValueError(f'{cls.__name__} ({src}) imports other modules of '
                             f'{PLUGIN}; it cannot be exported as one file.')
        name = cls.__module__.rsplit('.', 1)[-1]
        shutil.copyfile(src, osp.join(out_dir, name + '.py'))
        names.append(name)
    return sorted(set(names))


def stock_config(cfg: Config, out_dir: str = None,
                 dataset_meta: Optional[dict] = None) -> Tuple[Config, List[str]]:
    """The plain mmseg config of ``cfg`` (see the module docstring).

    Returns the config and the module names it imports (files copied into
    ``out_dir``; none for models built from stock mmseg components alone). The
    val/test datasets carry the classes and palette of their config; a folder
    dataset whose ``classes.txt`` is absent here takes those of ``dataset_meta``.
    """
    ours = registered_type_names()
    model, needed = _stock_model(cfg.model.to_dict(), ours)
    if needed and out_dir is None:
        raise ValueError('the model needs module files of this package: give out_dir')
    modules = _module_files(needed, out_dir) if needed else []
    keep = {}
    for key in ('default_scope', 'env_cfg', 'vis_backends', 'visualizer',
                'log_processor', 'log_level', 'test_pipeline', 'tta_model',
                'tta_pipeline', 'val_cfg', 'test_cfg'):
        if key in cfg:
            keep[key] = copy.deepcopy(cfg[key])
    keep['model'] = model
    for split in ('val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader is not None:
            loader = copy.deepcopy(loader.to_dict())
            loader['dataset'] = _stock_dataset(loader['dataset'], ours, dataset_meta)
            keep[f'{split}_dataloader'] = loader
        evaluator = cfg.get(f'{split}_evaluator')
        if evaluator is not None:
            metrics = evaluator if isinstance(evaluator, list) else [evaluator]
            metrics = [copy.deepcopy(dict(m)) for m in metrics if m['type'] not in ours]
            keep[f'{split}_evaluator'] = metrics[0] if len(metrics) == 1 else metrics
    hooks = {k: v for k, v in cfg.get('default_hooks', {}).items()
             if v.get('type') not in ours}
    keep['default_hooks'] = copy.deepcopy(hooks)
    used = {node['type'].split('.')[-1] for node in iter_config_dicts(_plain(keep))
            if isinstance(node.get('type'), str)}
    left = sorted(used & ours - {c.__name__ for c in needed})
    if left:
        raise ValueError(f'cannot export {", ".join(left)} (components of {PLUGIN} '
                         'with no stock mmseg counterpart) to a plain mmseg config.')
    if modules:
        keep['custom_imports'] = dict(imports=modules, allow_failed_imports=False)
    keep['load_from'], keep['resume'] = None, False
    return Config(keep), modules


def export_stock_model(cfg: Config, ckpt: dict, out_dir: str, name: str,
                       source: str = 'checkpoint') -> Tuple[str, str]:
    """Write ``out_dir/name.py`` and ``out_dir/name.pth``; return both paths.

    ``ckpt`` is the training checkpoint dict (``read_checkpoint``), ``source`` its
    file name for messages. Before anything is written the stock model is built
    and the stripped weights are checked against it key by key: a checkpoint of
    another config raises :class:`CheckpointError` naming the first offending keys.
    """
    from mmengine.registry import init_default_scope

    from mmseg.registry import MODELS
    meta = _plain(ckpt.get('meta', {}) or {})
    check_classes(ckpt, model_num_classes(cfg.model), source,
                  cfg.filename or 'given')
    trained = meta.get('dataset_meta') or {}
    trained = (dict(classes=trained['classes'], palette=trained['palette'])
               if 'classes' in trained and 'palette' in trained else None)
    os.makedirs(out_dir, exist_ok=True)
    stock, modules = stock_config(cfg, out_dir, trained)
    state = {k: v.detach().clone().contiguous()
             for k, v in strip_training_only(state_dict_of(ckpt),
                                             cfg.model.get('type')).items()}
    init_default_scope(stock.get('default_scope', 'mmseg'))
    check_state_dict(MODELS.build(copy.deepcopy(stock.model)), state, source,
                     ignore_prefixes=())
    if trained is None:  # the exported model still shows the config's classes
        loader = stock.get('test_dataloader') or stock.get('val_dataloader') or {}
        metainfo = loader.get('dataset', {}).get('metainfo')
        if metainfo:
            meta['dataset_meta'] = _plain(dict(metainfo))
    cfg_path = osp.join(out_dir, name + '.py')
    ckpt_path = osp.join(out_dir, name + '.pth')
    source_cfg = osp.basename(cfg.filename) if cfg.filename else 'a PseudoSeg config'
    header = (f'# Plain mmseg EncoderDecoder exported from {source_cfg} by '
              'tools/export.py.\n')
    if modules:
        header += (f'# Needs {", ".join(m + ".py" for m in modules)} (next to this '
                   'file) on the Python path: PYTHONPATH=<this folder>.\n')
    with open(cfg_path, 'w', encoding='utf-8') as f:
        f.write(header + stock.pretty_text)
    torch.save(dict(state_dict=state, meta=meta), ckpt_path)
    return cfg_path, ckpt_path
