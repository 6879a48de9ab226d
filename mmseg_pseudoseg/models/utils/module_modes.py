"""Temporary train/eval mode of some modules."""
from contextlib import contextmanager


@contextmanager
def train_mode(modules, training: bool):
    """Put ``modules`` (None skipped) in train (``training=True``) or eval mode
    inside the ``with`` block, then restore each module's own mode."""
    modules = [(m, m.training) for m in modules if m is not None]
    for m, _ in modules:
        m.train(training)
    try:
        yield
    finally:
        for m, state in modules:
            m.train(state)
