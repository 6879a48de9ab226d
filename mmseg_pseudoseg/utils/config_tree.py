"""Walk a config tree: every dict of a (nested) config, in depth-first order."""
from typing import Any, Iterator


def iter_config_dicts(node: Any) -> Iterator[dict]:
    """Yield every dict inside ``node`` (a ``Config``, dict, list or tuple), each
    before the dicts nested in it.

    A caller may change the values of a yielded dict in place (e.g. set
    ``crop_size`` on every ``RandomCrop``); the walk then descends into the new
    values.
    """
    if hasattr(node, '_cfg_dict'):  # mmengine Config
        node = node._cfg_dict
    if isinstance(node, dict):
        yield node
        for value in list(node.values()):
            yield from iter_config_dicts(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from iter_config_dicts(value)
