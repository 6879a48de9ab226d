"""The one place for version work-arounds. Each one says why it exists.

1. ``check_versions``: mmseg 1.2.2 asserts ``mmcv < 2.2.0`` deep inside its import;
   we check all three pins first and say which versions are supported.
2. Weights-only checkpoints (torch >= 2.6 loads with ``weights_only=True``).
   mmengine 0.10.7 stores its ``MessageHub`` in every checkpoint. Its
   ``HistoryBuffer.__getstate__`` puts the statistics *functions* into the pickle,
   which need ``builtins.getattr`` to load; allow-listing ``getattr`` would defeat
   weights-only loading. We register a ``copyreg`` reducer that pickles a
   ``HistoryBuffer`` as plain data (lists and an int) plus one allow-listed rebuild
   function, and allow-list only the numpy types mmengine stores (arrays, scalars,
   dtypes). Any run that imports this package (our tools, or the stock mmseg tools
   through the config's ``custom_imports``) writes such checkpoints.
   A file torch cannot read (truncated, not a checkpoint) or one that needs globals
   weights-only loading refuses fails inside ``torch.load`` with a message that
   does not name the file (and, for the globals, suggests allow-listing them).
   ``load_local_checkpoint`` replaces mmengine's loader of local paths (through
   ``CheckpointLoader.register_scheme``, its public extension point) with one that
   names the file, the unsafe globals, and what to do.
3. CPU distributed training. mmengine 0.10.7's pytorch launcher calls
   ``torch.cuda.set_device`` and its DDP wrapper passes ``device_ids``; both fail on
   CPU-only torch. ``init_cpu_distributed`` creates the gloo process group before the
   Runner is built (the Runner then skips its own ``init_dist``), and
   ``DeviceAgnosticDDP`` passes ``device_ids=None`` when the module is not on CUDA.
"""
import copyreg
import os
from typing import Dict, List, Optional, Tuple

import torch

SUPPORTED = {
    'mmcv': ('2.0.0', '2.2.0'),
    'mmengine': ('0.10.0', '0.11.0'),
    'mmseg': ('1.2.0', '1.3.0'),
}
PINS = 'mmcv==2.1.0, mmengine==0.10.7, mmsegmentation==1.2.2 (torch==2.13.0 tested)'


def _version_tuple(version: str) -> Tuple[int, ...]:
    parts = []
    for piece in version.split('+')[0].split('.')[:3]:
        digits = ''.join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def check_versions(installed: Optional[Dict[str, str]] = None) -> None:
    """Raise one ImportError naming every out-of-range package and the pins.

    ``installed`` maps ``mmcv``/``mmengine``/``mmseg`` to versions; by default the
    installed distributions are read.
    """
    from importlib.metadata import PackageNotFoundError, version
    dists = {'mmcv': 'mmcv', 'mmengine': 'mmengine', 'mmseg': 'mmsegmentation'}
    problems = []
    for name, (low, high) in SUPPORTED.items():
        try:
            found = installed[name] if installed else version(dists[name])
        except PackageNotFoundError:
            problems.append(f'{dists[name]} is not installed')
            continue
        if not (_version_tuple(low) <= _version_tuple(found) < _version_tuple(high)):
            problems.append(f'{dists[name]}=={found} is outside [{low}, {high})')
    if problems:
        raise ImportError('mmseg_pseudoseg supports ' + PINS + '; found: ' +
                          '; '.join(problems) + '. Run `make install`.')


# --- 2. weights-only checkpoints -------------------------------------------------

def rebuild_history_buffer(log_history: List[float], count_history: List[float],
                           max_length: int):
    """Inverse of ``_reduce_history_buffer`` (allow-listed for weights-only loads)."""
    from mmengine.logging import HistoryBuffer
    return HistoryBuffer(log_history, count_history, max_length)


def _reduce_history_buffer(buffer):
    return (rebuild_history_buffer,
            (buffer._log_history.tolist(), buffer._count_history.tolist(),
             int(buffer.max_length)))


def _numpy_safe_globals() -> list:
    """The numpy globals a checkpoint's arrays, scalars and dtypes pickle to."""
    import numpy as np
    try:  # numpy >= 2 moved the array reconstructor
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in
                     ('?', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'f2',
                      'f4', 'f8', 'c8', 'c16', 'U', 'S', 'O')]
    return [np.ndarray, np.dtype, _reconstruct, scalar] + dtype_classes


def register_checkpoint_safe_types() -> None:
    """Make our checkpoints loadable with ``weights_only=True`` (see module doc)."""
    from mmengine.logging import HistoryBuffer
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    torch.serialization.add_safe_globals(
        _numpy_safe_globals() + [rebuild_history_buffer])


def load_local_checkpoint(filename: str, map_location=None):
    """``torch.load(weights_only=True)`` of a local file; errors name the file."""
    import os.path as osp
    import pickle
    import zipfile
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}. Check the path '
                                '(load_from, --resume, or the CHECKPOINT argument).')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        try:
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
        except Exception:  # noqa: BLE001  not even a readable archive
            unsafe = []
        if not unsafe:
            reason = ('not a zip archive' if not zipfile.is_zipfile(filename) else
                      (str(err).strip().splitlines() or ['unpickling failed'])[0])
            raise RuntimeError(
                f'checkpoint {filename} cannot be read ({reason}); it is truncated or '
                f'not a PyTorch checkpoint. Re-save or re-download {filename}.'
            ) from err
        raise RuntimeError(
            f'checkpoint {filename} needs objects that weights-only loading refuses '
            f'({", ".join(unsafe)}). Re-save only its tensors from a trusted copy '
            f'(state_dict, optimizer, meta) into {filename}.') from err
    except (RuntimeError, EOFError, OSError) as err:
        text = str(err).strip()  # its first sentence: torch appends advice
        reason = text.splitlines()[0].split('. ')[0] if text else type(err).__name__
        raise RuntimeError(
            f'checkpoint {filename} cannot be read ({reason}); it is truncated or '
            f'not a PyTorch checkpoint. Re-save or re-download {filename}.') from err


def register_checkpoint_loader() -> None:
    """Use :func:`load_local_checkpoint` for local paths in mmengine."""
    from mmengine.runner import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint,
                                     force=True)


# --- 3. CPU distributed ----------------------------------------------------------

def init_cpu_distributed(launcher: str, backend: str = 'gloo') -> bool:
    """Create the process group on CPU-only machines before the Runner exists.

    Returns True when this function created the group (the caller then destroys it
    at exit with ``torch.distributed.destroy_process_group``). On CUDA machines it
    does nothing and the Runner's own ``init_dist`` (nccl) is used.
    """
    import torch.distributed as dist
    if launcher == 'none' or torch.cuda.is_available() or dist.is_initialized():
        return False
    if launcher != 'pytorch':
        raise RuntimeError(
            f'launcher={launcher!r} is not supported on CPU; use torchrun '
            '(tools/dist_train.sh), i.e. --launcher pytorch.')
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
               if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher pytorch needs {missing} in the environment; '
                           'start it with torchrun (tools/dist_train.sh).')
    dist.init_process_group(backend=backend)
    return True


def _register_ddp_wrapper() -> None:
    from mmengine.model import MMDistributedDataParallel
    from mmengine.registry import MODEL_WRAPPERS

    if 'DeviceAgnosticDDP' in MODEL_WRAPPERS.module_dict:
        return

    @MODEL_WRAPPERS.register_module()
    class DeviceAgnosticDDP(MMDistributedDataParallel):
        """``MMDistributedDataParallel`` that drops ``device_ids`` on CPU.

        The Runner passes ``device_ids=[LOCAL_RANK]``, which DDP rejects for a CPU
        module. On CUDA it is exactly ``MMDistributedDataParallel``.
        """

        def __init__(self, module, detect_anomalous_params=False, **kwargs):
            if not next(module.parameters()).is_cuda:
                kwargs['device_ids'] = None
                kwargs.pop('output_device', None)
            super().__init__(module, detect_anomalous_params=detect_anomalous_params,
                             **kwargs)

    globals()['DeviceAgnosticDDP'] = DeviceAgnosticDDP


def apply() -> None:
    check_versions()
    register_checkpoint_safe_types()
    register_checkpoint_loader()
    _register_ddp_wrapper()
