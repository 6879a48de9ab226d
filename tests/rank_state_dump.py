"""``RankStateDumpHook`` (tests only): every rank writes its model state at the end.

mmengine saves checkpoints on rank 0 alone; to compare the ranks, each rank writes
``work_dir/rank<r>_state.pth`` (the unwrapped model's ``state_dict``) after
training. A config loads it with
``custom_imports = dict(imports=['mmseg_pseudoseg', 'rank_state_dump'])`` and
``custom_hooks = [dict(type='RankStateDumpHook')]`` (``tests/`` on the path).
"""
import os.path as osp

import torch
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS


@HOOKS.register_module()
class RankStateDumpHook(Hook):
    priority = 'LOWEST'

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        rank, _ = get_dist_info()
        torch.save(model.state_dict(),
                   osp.join(runner.work_dir, f'rank{rank}_state.pth'))
