"""``UnreadableImageHook``: the run's list of images skipped as unreadable.

A dataset with ``on_unreadable='skip'`` replaces a sample whose image cannot be
decoded by the next one, in whichever process loads it (the main process or a
dataloader worker), and puts the skipped files in the replacement's data-sample
metainfo (``mmseg_pseudoseg.datasets.unreadable_images``). Every batch reaches the
main process, so this hook sees every skip there, before the step that trains on
the batch (``before_train_iter``):

* it logs a warning naming each file the first time it appears;
* it writes ``<work_dir>/<timestamp>/unreadable_images.json`` (next to the run's
  log; ``unreadable_images.rank<r>.json`` on rank r > 0), rewritten whenever a new
  file appears, so it is complete even when the run stops later::

      {"skipped": [{"file": ..., "reason": ..., "dataset": ..., "source": ...,
                    "max_unreadable": ..., "iter": <first training iteration>}],
       "count": <number of files>}

* it stops the run when the distinct files of one dataset (its split file or image
  folder) exceed that dataset's ``max_unreadable`` over all workers together (each
  worker enforces the cap on its own files as well);
* after training it logs how many files were skipped and where they are listed.

Nothing happens when no file is skipped. Config: the schedule bases set
``default_hooks = dict(unreadable_images=dict(type='UnreadableImageHook'))``.
"""
import json
import logging
import os
import os.path as osp
from typing import Dict

from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmseg.registry import HOOKS
from ...datasets.transforms.sample_checks import SampleLoadError
from ...datasets.unreadable_images import records_of_batch, too_many_message

__all__ = ['UnreadableImageHook', 'SUMMARY_FILE']

SUMMARY_FILE = 'unreadable_images.json'


@HOOKS.register_module()
class UnreadableImageHook(Hook):
    """Log, list and cap the extra images skipped as unreadable (module doc)."""

    priority = 'NORMAL'

    def __init__(self) -> None:
        # source -> {file: record}, in the order the files appeared
        self._skipped: Dict[str, Dict[str, dict]] = {}

    def summary_path(self, runner) -> str:
        rank = get_dist_info()[0]
        name = SUMMARY_FILE if rank == 0 else SUMMARY_FILE.replace(
            '.json', f'.rank{rank}.json')
        return osp.join(runner.log_dir, name)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        new = []
        for record in records_of_batch(data_batch):
            files = self._skipped.setdefault(record['source'], {})
            if record['file'] not in files:
                files[record['file']] = dict(record, iter=runner.iter + 1)
                new.append(record)
        if not new:
            return
        path = self.summary_path(runner)
        for record in new:
            print_log(f'UnreadableImageHook: iteration {runner.iter + 1} trains on '
                      f'a replacement for the unreadable image {record["file"]} '
                      f'({record["dataset"]}, {record["source"]}); listed in {path}.',
                      logger='current', level=logging.WARNING)
        self._write(path)
        for source, files in self._skipped.items():
            first = next(iter(files.values()))
            if len(files) > first['max_unreadable']:
                raise SampleLoadError(too_many_message(
                    first['dataset'], source, list(files), first['max_unreadable']))

    def _write(self, path: str) -> None:
        records = [r for files in self._skipped.values() for r in files.values()]
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(dict(skipped=records, count=len(records)), f, indent=2)

    def after_train(self, runner) -> None:
        count = sum(len(files) for files in self._skipped.values())
        if count:
            print_log(f'UnreadableImageHook: {count} unreadable image(s) were '
                      f'skipped in this run, listed in {self.summary_path(runner)}.',
                      logger='current', level=logging.WARNING)
