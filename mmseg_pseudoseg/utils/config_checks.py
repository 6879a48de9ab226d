"""Checks run on a config before anything is built (the config boundary)."""
from typing import Set

from mmengine.config import Config

from .config_tree import iter_config_dicts

PLUGIN = 'mmseg_pseudoseg'
HINT = f"custom_imports=dict(imports=['{PLUGIN}'], allow_failed_imports=False)"


def registered_type_names() -> Set[str]:
    """Names of every component this package registered (any mmseg registry)."""
    import mmengine.registry as mmengine_registry
    import mmseg.registry as mmseg_registry
    names = set()
    for module in (mmseg_registry, mmengine_registry):
        for value in vars(module).values():
            module_dict = getattr(value, 'module_dict', None)
            if not isinstance(module_dict, dict):
                continue
            for name, obj in module_dict.items():
                if getattr(obj, '__module__', '').startswith(PLUGIN):
                    names.add(name)
    return names


def check_custom_imports(cfg: Config) -> None:
    """Raise when ``cfg`` uses our types without importing this package.

    The stock mmseg tools only know our components through the config's
    ``custom_imports``; without it they fail with a registry error deep in the
    build. Our tools fail early instead, saying what to add.
    """
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    if isinstance(imports, str):
        imports = [imports]
    if any(name == PLUGIN or name.startswith(PLUGIN + '.') for name in imports):
        return
    ours = registered_type_names()
    kinds = {node['type'] for node in iter_config_dicts(cfg._cfg_dict.to_dict())
             if isinstance(node.get('type'), str)}
    used = sorted({t.split('.')[-1] for t in kinds} & ours)
    if used:
        raise ValueError(
            f'Config {cfg.filename} uses {", ".join(used)} from {PLUGIN} but does '
            f'not import it; add `{HINT}` to the config (the stock mmseg tools '
            'need it to find these types).')


def check_dataset_classes(dataset, num_classes: int) -> None:
    """Raise if a training dataset has more classes than the model predicts.

    ``dataset``: the train dataset; a ``ConcatDataset`` is checked per member
    (labelled and extra); a member built with ``with_masks=False`` is skipped, as
    its masks are never read. The datasets check each mask against their own classes
    when they load it; this check relates those classes to the model's.
    """
    members = getattr(dataset, 'datasets', None) or [dataset]
    for member in members:
        if not getattr(member, 'with_masks', True):
            continue  # its masks are never read (an extra set without labels)
        classes = (getattr(member, 'metainfo', None) or {}).get('classes')
        if classes is not None and len(classes) > num_classes:
            where = getattr(member, 'ann_file', '') or ''
            raise ValueError(
                f'{type(member).__name__}({where}) has {len(classes)} classes '
                f'but the model predicts {int(num_classes)} '
                f'(decode_head.num_classes={int(num_classes)}).\nSet num_classes of '
                "the model's heads to the dataset's class count, or metainfo="
                'dict(classes=...) of the dataset to the classes the model has.')
