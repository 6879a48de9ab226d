"""``RNGStateHook``: a resumed run draws the same random numbers as a straight run.

mmengine's checkpoint holds the weights, the optimizer and the iteration, and on
``--resume`` the ``IterBasedTrainLoop`` fast-forwards the data loader by calling
``next()`` once per finished iteration, so every batch and its augmentation replay.
What the training step itself draws (dropout masks, any other torch randomness of
the forward pass) comes from the global generators, which mmengine neither saves
nor restores. This hook keeps them in the checkpoint, one entry per rank:

* torch CPU: ``torch.get_rng_state()``, a ``uint8`` tensor;
* every CUDA device of the rank (when CUDA is available): ``uint8`` tensors;
* numpy's global ``RandomState``: the 624 key words as an ``int64`` tensor plus
  ``pos``, ``has_gauss`` (ints) and ``cached_gaussian`` (float);
* Python's ``random``: the internal state as a list of ints.

All of it loads with ``torch.load(weights_only=True)``.

Timing, in mmengine 0.10.7's order of a resumed run: ``Runner.resume`` loads the
checkpoint (``after_load_checkpoint``: the hook keeps the saved states) and re-seeds
with the checkpoint's seed; ``IterBasedTrainLoop.run`` calls ``before_train_epoch``
(the hook takes this rank's entry and notes every generator's current state),
fast-forwards the data loader, loads the first new batch and calls
``before_train_iter``, where the hook restores. A checkpoint loaded with
``load_from`` (iteration 0) starts a fresh run: nothing is restored. A generator
that the fast-forward advanced is one the data pipeline draws from in this process
(``num_workers=0``); the fast-forward has replayed exactly those draws, so it is
already where the straight run has it, and restoring the saved state would replay
the first new batch's draws a second time: it is left as it is. Every other
generator is set to its saved state, which is what the straight run's next step
starts from.

Validation inside training runs right after a checkpoint is saved; creating its data
loader iterator alone draws from torch's generator. The hook sets every generator
back after validation (``before_val`` / ``after_val``), so the next training step
draws what it would have drawn without validation, as the resumed run does.

Rank 0 writes the states when a checkpoint is saved (``before_save_checkpoint``,
which mmengine calls on rank 0 only), so every rank's states are gathered to every
rank beforehand, and only where a checkpoint can follow: after a training iteration
at which the ``CheckpointHook`` saves (its ``interval``, or the last iteration with
``save_last``; the hook's priority ``LOW`` runs before the ``CheckpointHook``,
``VERY_LOW``) and before validation (``save_best`` saves after it). Other iterations
cost nothing: no collective on the hot path. With an epoch-based or no
``CheckpointHook`` the states are gathered after every iteration.
"""
import random
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log

from mmseg.registry import HOOKS

__all__ = ['RNGStateHook', 'capture_rng_state', 'restore_rng_state',
           'CHECKPOINT_KEY']

CHECKPOINT_KEY = 'rng_states'
GENERATORS = ('torch', 'cuda', 'numpy', 'python')


def capture_rng_state() -> Dict:
    """This process's generator states, weights-only serialisable.

    Returns:
        dict: ``torch`` (uint8 tensor), ``cuda`` (list of uint8 tensors, one per
        visible device; empty without CUDA), ``numpy`` (dict: ``keys`` int64
        tensor ``(624,)``, ``pos``, ``has_gauss``, ``cached_gaussian``) and
        ``python`` (dict: ``version``, ``internal`` list of 625 ints,
        ``gauss_next`` float or None).
    """
    _, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return dict(
        torch=torch.get_rng_state(),
        cuda=torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        numpy=dict(keys=torch.from_numpy(keys.astype(np.int64)), pos=int(pos),
                   has_gauss=int(has_gauss),
                   cached_gaussian=float(cached_gaussian)),
        python=dict(version=int(version), internal=[int(v) for v in internal],
                    gauss_next=gauss_next))


def _same(name: str, first: Dict, second: Dict) -> bool:
    a, b = first[name], second[name]
    if name == 'torch':
        return torch.equal(a, b)
    if name == 'cuda':
        return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))
    if name == 'numpy':
        return (torch.equal(a['keys'], b['keys']) and a['pos'] == b['pos']
                and a['has_gauss'] == b['has_gauss']
                and a['cached_gaussian'] == b['cached_gaussian'])
    return a == b


def restore_rng_state(state: Dict, names=GENERATORS) -> None:
    """Set the generators ``names`` of this process from ``state``."""
    if 'torch' in names:
        torch.set_rng_state(state['torch'])
    if 'cuda' in names and state['cuda'] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])
    if 'numpy' in names:
        numpy_state = state['numpy']
        np.random.set_state(
            ('MT19937', numpy_state['keys'].numpy().astype(np.uint32),
             numpy_state['pos'], numpy_state['has_gauss'],
             numpy_state['cached_gaussian']))
    if 'python' in names:
        python_state = state['python']
        random.setstate((python_state['version'], tuple(python_state['internal']),
                         python_state['gauss_next']))


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save every rank's generator states in checkpoints; restore them on resume.

    Config: ``default_hooks = dict(rng_state=dict(type='RNGStateHook'))`` (set in
    the schedule bases of this project, so a config that replaces ``custom_hooks``
    keeps it). See the module docstring for what is saved and when.
    """

    priority = 'LOW'

    def __init__(self) -> None:
        self._captured: Optional[List[Dict]] = None
        self._captured_iter = -1  # runner.iter of the checkpoint they belong to
        self._trained_to: Optional[int] = None  # runner.iter after the last step
        self._loaded: Optional[List[Dict]] = None
        self._saved: Optional[Dict] = None
        self._before_fast_forward: Optional[Dict] = None
        self._before_val: Optional[Dict] = None

    # --- saving ---------------------------------------------------------------
    def _gather(self, iteration: int) -> None:
        self._captured = all_gather_object(capture_rng_state())
        self._captured_iter = iteration

    def _checkpoint_follows(self, runner) -> bool:
        """Whether the ``CheckpointHook`` saves after this training iteration."""
        hooks = [h for h in runner.hooks if isinstance(h, CheckpointHook)]
        if not hooks or any(h.by_epoch for h in hooks):
            return True
        return any(self.every_n_train_iters(runner, h.interval) or
                   (h.save_last and self.is_last_train_iter(runner)) for h in hooks)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        self._trained_to = runner.iter + 1  # the loop counts the step after hooks
        if self._checkpoint_follows(runner):
            self._gather(runner.iter)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._captured_iter == runner.iter:
            checkpoint[CHECKPOINT_KEY] = self._captured
        elif get_dist_info()[1] == 1:  # e.g. saved before any iteration ran
            checkpoint[CHECKPOINT_KEY] = [capture_rng_state()]
        else:  # other ranks' states are out of reach from rank 0 here
            print_log('RNGStateHook: no random-generator states gathered for '
                      f'iteration {runner.iter}; this checkpoint resumes without them.',
                      logger='current', level='WARNING')

    # --- validation leaves the training stream alone ------------------------------
    def before_val(self, runner) -> None:
        if self._trained_to is not None:  # validation inside training:
            self._gather(self._trained_to)  # save_best may write a checkpoint after it
        self._before_val = capture_rng_state()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            restore_rng_state(self._before_val)
        self._before_val = None

    # --- restoring ------------------------------------------------------------
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get(CHECKPOINT_KEY, [])

    def before_train_epoch(self, runner) -> None:
        states, self._loaded = self._loaded, None
        if states is None or runner.iter == 0:
            return  # a fresh run (no checkpoint, or weights loaded with load_from)
        rank, world_size = get_dist_info()
        if len(states) != world_size:
            if not states:
                found = 'no random-generator states (written without RNGStateHook)'
                fix = 'Resume from a checkpoint written with RNGStateHook'
            else:
                found = (f'the random-generator states of {len(states)} process(es) '
                         f'and this run has {world_size}')
                fix = f'Resume with {len(states)} process(es)'
            print_log(f'RNGStateHook: the checkpoint holds {found}; the resumed '
                      'steps draw other random numbers than the interrupted run '
                      f'would have.\n{fix} to repeat the interrupted run exactly.',
                      logger='current', level='WARNING')
            return
        self._saved = states[rank]
        self._before_fast_forward = capture_rng_state()

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if self._saved is None:
            return
        now = capture_rng_state()
        names = [n for n in GENERATORS if n != 'cuda' or torch.cuda.is_available()]
        untouched = [n for n in names if _same(n, now, self._before_fast_forward)]
        restore_rng_state(self._saved, untouched)
        replayed = [n for n in names if n not in untouched]
        print_log(f'RNGStateHook: restored the {", ".join(untouched) or "no"} '
                  f'generator state(s) saved at iteration {runner.iter}; replayed by '
                  f'the data loader fast-forward: {", ".join(replayed) or "none"}.',
                  logger='current')
        self._saved = self._before_fast_forward = None
