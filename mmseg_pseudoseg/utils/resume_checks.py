"""``check_resume_source``: every rank of a ``--resume`` run resumes from one
checkpoint (docs/training.md, "Several nodes").

mmengine resolves ``--resume`` on each rank by itself: ``load_from`` if set, else the
file named in ``work_dir/last_checkpoint``. On nodes that do not share the work
dir, a node without that file starts from iteration 0 while the others resume, and
the first collective that no longer matches waits forever. This check gathers what
every rank would resume from (before anything is loaded) and stops all ranks with
one message when they disagree or a file is missing.
"""
import os.path as osp
import socket
from typing import Optional

from mmengine.dist import all_gather_object, get_world_size
from mmengine.runner import find_latest_checkpoint

__all__ = ['check_resume_source']


def check_resume_source(resume: bool, load_from: Optional[str],
                        work_dir: str) -> Optional[str]:
    """Return the checkpoint this rank resumes from (None: a fresh start).

    With several ranks, raise ``RuntimeError`` listing every rank's host and
    checkpoint when they do not all resume from a file of the same name that
    exists (each node may hold its own copy), or not all start fresh.
    Call it on every rank, after the process group exists.
    """
    if not resume:
        return None
    path = load_from if load_from is not None else find_latest_checkpoint(work_dir)
    if get_world_size() == 1:
        return path
    mine = (socket.gethostname(), path, path is not None and osp.isfile(path))
    found = all_gather_object(mine)
    names = {None if p is None else osp.basename(p) for _, p, _ in found}
    if len(names) > 1 or any(p is not None and not ok for _, p, ok in found):
        lines = [f'  rank {rank} on {host}: '
                 + ('no checkpoint (last_checkpoint not found in its work dir)'
                    if p is None else p + ('' if ok else ' (missing)'))
                 for rank, (host, p, ok) in enumerate(found)]
        raise RuntimeError(
            '--resume: the ranks would not resume from the same checkpoint:\n'
            + '\n'.join(lines) + '\nPut the work dir on a file system every node '
            'sees, or copy the checkpoint to every node and pass '
            '--cfg-options load_from=PATH together with --resume.')
    return path
