"""``SemiBatchSampler``: fixed labelled + extra composition of every batch (docs/method.md §7).

Used with ``dataset=dict(type='ConcatDataset', datasets=[labelled, extra])``::

    train_dataloader = dict(
        batch_size=8,                                   # = labelled + extra
        sampler=dict(type='InfiniteSampler', shuffle=True),
        batch_sampler=dict(type='SemiBatchSampler', labelled_per_gpu=4,
                           extra_per_gpu=4),
        dataset=dict(type='ConcatDataset', datasets=[labelled, extra]))

Stream definition (a pure function of ``seed``, ``rank``, ``world_size`` and the two
dataset sizes): source ``s`` (0 = labelled, 1 = extra) is an endless chain of
permutations of ``range(len(source))``, one fresh permutation per pass, drawn from
``numpy.random.default_rng([seed, s])`` (so the sources are shuffled independently).
Each chain is cut into consecutive chunks of ``labelled_per_gpu`` (labelled) or
``extra_per_gpu`` (extra) indices. Batch ``b`` of rank ``r`` of ``W`` ranks is
labelled chunk ``b·W + r`` followed by extra chunk ``b·W + r`` (extra indices offset
by ``len(labelled)``): disjoint across ranks within a pass, and the ``W`` batches of
one step, in rank order, are the next ``W`` batches one process draws with the same
seed. So ``W`` processes and one process with ``accumulative_counts=W`` train on the
same micro-batches per update (docs/training.md, "The same run at any process
count").

Resume: mmengine's ``IterBasedTrainLoop`` fast-forwards a resumed run by calling
``next()`` on the dataloader once per finished iteration. The stream is
deterministic, so with the same seed the resumed run continues with exactly the
batches the interrupted run would have seen (the sampler itself never skips, so
nothing is skipped twice). The seed defaults to the wrapped sampler's, i.e. the
runner's ``randomness.seed``, which mmengine stores in the checkpoint and restores
on resume.
"""
import itertools
from typing import Iterator, List, Optional

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmseg.registry import DATA_SAMPLERS
from torch.utils.data import Sampler

__all__ = ['SemiBatchSampler']


@DATA_SAMPLERS.register_module()
class SemiBatchSampler(Sampler):
    """Infinite batch sampler with ``labelled_per_gpu`` + ``extra_per_gpu`` per batch.

    Args:
        sampler: the sampler mmengine builds from the dataloader's ``sampler`` cfg
            (``InfiniteSampler``/``DefaultSampler``); only its ``dataset``,
            ``seed`` and ``shuffle`` are used.
        batch_size (int): the dataloader's ``batch_size``; must equal
            ``labelled_per_gpu + extra_per_gpu``.
        labelled_per_gpu (int): labelled samples per batch (per process).
        extra_per_gpu (int): extra samples per batch; ``0`` = supervised only (the
            dataset may then be the labelled dataset alone).
        seed (int, optional): default: ``sampler.seed``, else a seed shared by all
            ranks (``sync_random_seed``).
        shuffle (bool, optional): default: ``sampler.shuffle`` (True if absent).

    Rank and world size are ``mmengine.dist.get_dist_info()``'s.
    """

    def __init__(self, sampler, batch_size: int, labelled_per_gpu: int = 4,
                 extra_per_gpu: int = 4, seed: Optional[int] = None,
                 shuffle: Optional[bool] = None) -> None:
        if labelled_per_gpu < 0 or extra_per_gpu < 0 or \
                labelled_per_gpu + extra_per_gpu < 1:
            raise ValueError(f'SemiBatchSampler: labelled_per_gpu={labelled_per_gpu} '
                             f'and extra_per_gpu={extra_per_gpu} must be >= 0 with a '
                             'positive sum. Set both in train_dataloader.batch_sampler.')
        if batch_size != labelled_per_gpu + extra_per_gpu:
            raise ValueError(
                f'SemiBatchSampler: train_dataloader.batch_size={batch_size} must '
                f'equal labelled_per_gpu + extra_per_gpu = {labelled_per_gpu} + '
                f'{extra_per_gpu}. Set batch_size to '
                f'{labelled_per_gpu + extra_per_gpu}: auto_scale_lr and the logs '
                'use batch_size as the per-GPU batch.')
        dataset = getattr(sampler, 'dataset', None)
        if dataset is None:
            raise TypeError('SemiBatchSampler needs a sampler with a `dataset`. Set '
                            "train_dataloader.sampler=dict(type='InfiniteSampler').")
        if hasattr(dataset, 'cumulative_sizes') and hasattr(dataset, 'datasets'):
            sizes = [len(d) for d in dataset.datasets]
            if len(sizes) != 2:
                raise ValueError(
                    'SemiBatchSampler: the dataset must be ConcatDataset(datasets='
                    f'[labelled, extra]), got {len(sizes)} datasets. List exactly '
                    'the labelled and the extra dataset, in this order.')
        elif extra_per_gpu == 0:
            sizes = [len(dataset)]
        else:
            raise TypeError(
                'SemiBatchSampler with extra_per_gpu > 0 needs dataset='
                "dict(type='ConcatDataset', datasets=[labelled, extra]), got "
                f'{type(dataset).__name__}. Wrap the labelled and the extra '
                'dataset in a ConcatDataset, or set extra_per_gpu=0.')
        per_source = [labelled_per_gpu, extra_per_gpu][:len(sizes)]
        for name, size, count in zip(('labelled', 'extra'), sizes, per_source):
            if count > 0 and size == 0:
                raise ValueError(f'SemiBatchSampler: the {name} dataset is empty. '
                                 f'Check its split file, or set {name}_per_gpu=0.')
        self.rank, self.world_size = get_dist_info()
        if seed is None:
            seed = getattr(sampler, 'seed', None)
        if seed is None:
            seed = sync_random_seed()
        self.seed = int(seed)
        self.shuffle = bool(getattr(sampler, 'shuffle', True)
                            if shuffle is None else shuffle)
        self.sampler = sampler
        self.batch_size = batch_size
        self.labelled_per_gpu = labelled_per_gpu
        self.extra_per_gpu = extra_per_gpu
        self.sizes = sizes
        self.offsets = [0, sizes[0]][:len(sizes)]
        self.per_source = per_source

    # --- the stream --------------------------------------------------------------
    def _source_chain(self, source: int) -> Iterator[int]:
        """Endless chain of per-pass permutations of one source (all ranks)."""
        rng = np.random.default_rng([self.seed, source])
        size = self.sizes[source]
        while True:
            order = rng.permutation(size) if self.shuffle else np.arange(size)
            yield from order.tolist()

    def __iter__(self) -> Iterator[List[int]]:
        chains = [self._source_chain(s) for s in range(len(self.sizes))]
        while True:
            batch = []
            for chain, offset, count in zip(chains, self.offsets, self.per_source):
                # chunks b·W .. b·W + W - 1 of this step; this rank's is number r
                step = list(itertools.islice(chain, count * self.world_size))
                mine = step[count * self.rank:count * (self.rank + 1)]
                batch.extend(offset + i for i in mine)
            yield batch

    def __len__(self) -> int:
        """Nominal epoch: batches per pass of the larger used source on this rank."""
        lengths = [int(np.ceil(size / (self.world_size * count)))
                   for size, count in zip(self.sizes, self.per_source) if count > 0]
        return max(lengths)

    def set_epoch(self, epoch: int) -> None:
        """No-op: the stream is infinite and does not depend on the epoch."""
