"""Checkpoint reading and matching at the tools' boundary.

``read_checkpoint`` turns torch's low-level errors (``PytorchStreamReader failed
reading zip archive``, unpickling errors) into one message that names the file and
the likely cause (the wording of the project's checkpoint loader in ``compat``); ``check_state_dict`` names the first keys whose shapes differ from
the model's, before mmengine's non-strict loading would only warn about them.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn

from ..compat import load_local_checkpoint
from ..models.segmentors import TRAINING_ONLY_PREFIXES

__all__ = ['CheckpointError', 'TRAINING_ONLY_PREFIXES', 'read_checkpoint',
           'state_dict_of', 'check_state_dict', 'check_classes', 'model_num_classes',
           'trained_classes']


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read or does not fit the model."""


def read_checkpoint(path: str) -> dict:
    """Load ``path`` weights-only on the CPU.

    Returns the checkpoint dict (``{'state_dict': ..., 'meta': ...}`` or a bare
    state dict). Raises ``FileNotFoundError`` for a missing file and
    :class:`CheckpointError` with the message of the project's checkpoint loader
    (:func:`mmseg_pseudoseg.compat.load_local_checkpoint`, the one mmengine uses for
    local files too): the file and the reason for a truncated file, a file that is
    not a PyTorch checkpoint, or one that holds objects a weights-only load refuses.
    """
    try:
        ckpt = load_local_checkpoint(path, map_location='cpu')
    except RuntimeError as err:
        raise CheckpointError(str(err)) from None
    if not isinstance(ckpt, dict):
        raise CheckpointError(f'checkpoint {path} holds a {type(ckpt).__name__}, not '
                              'a dict of tensors; save it with torch.save(dict(...)).')
    return ckpt


def state_dict_of(ckpt: dict) -> Dict[str, torch.Tensor]:
    """The model weights of a checkpoint dict (``state_dict`` entry or the dict)."""
    state = ckpt.get('state_dict', ckpt)
    # weights saved from a DDP-wrapped model carry the wrapper's prefix
    return {(k[len('module.'):] if k.startswith('module.') else k): v
            for k, v in state.items()}


def _is_training_only(key: str, prefixes: Sequence[str]) -> bool:
    return key.startswith(tuple(prefixes))


def check_state_dict(model: nn.Module, state: Dict[str, torch.Tensor], path: str,
                     ignore_prefixes: Sequence[str] = TRAINING_ONLY_PREFIXES,
                     shown: int = 3) -> None:
    """Raise :class:`CheckpointError` unless ``state`` fits ``model``.

    Keys under ``ignore_prefixes`` (training-only parts) may be missing on either
    side. Otherwise every model key must be in ``state`` with the same shape and
    ``state`` may hold no other key. The message names the first ``shown``
    offending keys (with both shapes for a mismatch).
    """
    own = {k: v for k, v in model.state_dict().items()
           if not _is_training_only(k, ignore_prefixes)}
    given = {k: v for k, v in state.items() if not _is_training_only(k, ignore_prefixes)}
    mismatched = [f'{k}: checkpoint {tuple(given[k].shape)} vs model {tuple(v.shape)}'
                  for k, v in own.items() if k in given and given[k].shape != v.shape]
    missing = [k for k in own if k not in given]
    unexpected = [k for k in given if k not in own]
    problems = []
    for label, keys in (('shape mismatch', mismatched), ('missing', missing),
                        ('unexpected', unexpected)):
        if keys:
            more = f' (+{len(keys) - shown} more)' if len(keys) > shown else ''
            problems.append(f'{label} ({len(keys)}): ' + '; '.join(keys[:shown]) + more)
    if problems:
        raise CheckpointError(
            f'checkpoint {path} does not fit the model of this config: ' +
            ' | '.join(problems) + ' -- pass the config the checkpoint was trained '
            'with.')


def model_num_classes(model_cfg: dict) -> Optional[int]:
    """``decode_head.num_classes`` of a model config (the last head of a list)."""
    head = model_cfg.get('decode_head')
    if isinstance(head, (list, tuple)):
        head = head[-1] if head else None
    return head.get('num_classes') if isinstance(head, dict) else None


def check_classes(ckpt: dict, num_classes: Optional[int], path: str,
                  config: str) -> None:
    """Raise :class:`CheckpointError` when the classes the checkpoint was trained on
    (``meta.dataset_meta.classes``, written by the training Runner) are not
    ``num_classes`` (the config's ``decode_head.num_classes``); the message names
    both counts, the checkpoint's class names and both files. A checkpoint without
    ``dataset_meta`` (or a config without ``num_classes``) passes."""
    meta = ckpt.get('meta') if isinstance(ckpt.get('meta'), dict) else {}
    classes = (meta.get('dataset_meta') or {}).get('classes')
    if classes is None or num_classes is None or len(classes) == num_classes:
        return
    names = ', '.join(map(str, classes[:6])) + (', ...' if len(classes) > 6 else '')
    raise CheckpointError(
        f'checkpoint {path} was trained on {len(classes)} classes ({names}) but config '
        f'{config} has {num_classes} classes (decode_head.num_classes={num_classes}) '
        '-- pass the config the checkpoint was trained with.')


def trained_classes(path: str) -> dict:
    """``dict(classes, palette)`` a checkpoint was trained with
    (``meta.dataset_meta``), for mmseg's ``MMSegInferencer``, which paints with the
    Cityscapes classes unless given them::

        MMSegInferencer(model=config, weights=path, **trained_classes(path))

    Raises :class:`CheckpointError` for a checkpoint without them.
    """
    meta = read_checkpoint(path).get('meta') or {}
    dataset_meta = meta.get('dataset_meta') or {} if isinstance(meta, dict) else {}
    if 'classes' not in dataset_meta or 'palette' not in dataset_meta:
        raise CheckpointError(f'checkpoint {path} has no meta.dataset_meta with classes '
                              'and palette; give them from the config\'s dataset.')
    return dict(classes=list(dataset_meta['classes']),
                palette=[[int(v) for v in c] for c in dataset_meta['palette']])
