"""``MultiView``: named views of one geometrically augmented sample (docs/method.md §5).

All geometry (scale, crop, flip) runs *before* this transform, so every view shares
it and the ``weak`` and ``strong`` views are pixel-aligned. Each branch pipeline
gets its own deep copy of the sample (the last one gets the original), runs its
photometric steps and ends in a packer.
"""
import copy
from typing import Dict, List, Optional

from mmcv.transforms import BaseTransform
from mmengine.dataset import Compose
from mmseg.registry import TRANSFORMS

__all__ = ['MultiView']


@TRANSFORMS.register_module()
class MultiView(BaseTransform):
    """Run one sub-pipeline per branch on copies of the same sample.

    Args:
        branch_field (list[str]): all branch names of the batch, e.g.
            ``['sup', 'weak', 'strong']``. Branches without a pipeline here come out
            as ``None``, so every sample of a mixed batch has the same keys.
        **branch_pipelines: ``name=[transform cfgs]``; each must end in a packer
            (``PackSemiSegInputs``). Transforms are built in mmseg's registry.

    Returns (per sample, docs/batch_format.md)::

        {'inputs': {branch: Tensor(3,H,W) | None},
         'data_samples': {branch: SegDataSample | None}}

    Before a branch pipeline runs, ``results['branch']`` is set to its name (packed
    as metainfo ``branch`` by ``PackSemiSegInputs``).
    """

    def __init__(self, branch_field: List[str], **branch_pipelines) -> None:
        if not branch_field or len(set(branch_field)) != len(branch_field):
            raise ValueError(f'MultiView: branch_field must list distinct branch '
                             f'names, got {branch_field!r}. List each branch once.')
        unknown = [b for b in branch_pipelines if b not in branch_field]
        if unknown:
            raise ValueError(f'MultiView: pipelines given for {unknown}, which are '
                             f'not in branch_field={branch_field}. Add them to '
                             'branch_field or remove their pipelines.')
        if not branch_pipelines:
            raise ValueError('MultiView got no branch pipeline. Give at least one, '
                             "e.g. sup=[dict(type='PackSemiSegInputs')].")
        self.branch_field = list(branch_field)
        self.branch_pipelines: Dict[str, Compose] = {}
        for branch, pipeline in branch_pipelines.items():
            if isinstance(pipeline, dict):
                pipeline = [pipeline]
            built = [TRANSFORMS.build(t) if isinstance(t, dict) else t
                     for t in pipeline]
            self.branch_pipelines[branch] = Compose(built)

    def transform(self, results: dict) -> Optional[dict]:
        """Return the per-branch packed views (``None`` if a branch drops it)."""
        outputs = {branch: {'inputs': None, 'data_samples': None}
                   for branch in self.branch_field}
        names = list(self.branch_pipelines)
        for k, branch in enumerate(names):
            view = results if k == len(names) - 1 else copy.deepcopy(results)
            view['branch'] = branch
            packed = self.branch_pipelines[branch](view)
            if packed is None:
                return None
            outputs[branch] = packed
        formatted: Dict[str, dict] = {'inputs': {}, 'data_samples': {}}
        for branch in self.branch_field:
            for key in set(formatted) | set(outputs[branch]):
                formatted.setdefault(key, {b: None for b in self.branch_field})
                formatted[key][branch] = outputs[branch].get(key)
        return formatted

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(branch_field={self.branch_field}, '
                f'branch_pipelines={list(self.branch_pipelines)})')
