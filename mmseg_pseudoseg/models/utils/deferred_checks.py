"""Input checks of one training step resolved with a single host sync.

Reading a device tensor's value on the host (``bool(t)``, ``t.item()``) waits for
the device. Each per-step check of a value (validity-map values, non-finite
logits) used to cost one such wait in the middle of the step. A
:class:`DeferredChecks` collects the 0-dim "something is wrong" flags of a step
and reads them all at once at the end of ``PseudoSeg.loss``, before any
gradient is computed: the step still fails at the same iteration with the same
message, for one sync instead of one per check.
"""
from typing import Callable, List, Tuple

import torch
from torch import Tensor


class DeferredChecks:
    """Flags collected during one step, resolved together.

    ``add(flag, fail)``: ``flag`` is a 0-dim bool tensor, True when the check
    failed; ``fail()`` is called only then and must raise the error (it may read
    tensors freely: the failure path is not hot).
    """

    def __init__(self) -> None:
        self._items: List[Tuple[Tensor, Callable[[], None]]] = []

    def __len__(self) -> int:
        return len(self._items)

    def add(self, flag: Tensor, fail: Callable[[], None]) -> None:
        self._items.append((flag.reshape(()), fail))

    def resolve(self) -> None:
        """One host sync for all flags; calls ``fail`` of the first failed check."""
        items, self._items = self._items, []
        if not items:
            return
        if not bool(torch.stack([flag for flag, _ in items]).any()):
            return
        for flag, fail in items:
            if bool(flag):
                fail()
                raise RuntimeError('a deferred check failed but its fail() '
                                   'returned instead of raising')  # pragma: no cover
