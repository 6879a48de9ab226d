"""SemiBatchSampler: exact composition, per-pass uniqueness, DDP split, resume."""
import itertools
import json
import os
import os.path as osp
import socket

import pytest
import torch
import torch.multiprocessing as mp
from mmengine.dataset import InfiniteSampler
from mmengine.model import BaseModel
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from torch.utils.data import ConcatDataset, Dataset

import mmseg_pseudoseg  # noqa: F401  (registers; weights-only checkpoint fixes)
from mmseg_pseudoseg.datasets.samplers import SemiBatchSampler

N_LAB, N_EXTRA = 10, 23


class IndexDataset(Dataset):
    """Returns its own global index, so batches show what the sampler drew."""

    def __init__(self, size, offset=0):
        self.size, self.offset = size, offset

    def __len__(self):
        return self.size

    def __getitem__(self, idx):
        return dict(inputs=torch.tensor([float(idx)]), data_samples=self.offset + idx)


def _concat(n_lab=N_LAB, n_extra=N_EXTRA):
    return ConcatDataset([IndexDataset(n_lab), IndexDataset(n_extra, n_lab)])


def _sampler(dataset=None, lab=4, extra=4, seed=0, **kwargs):
    dataset = dataset if dataset is not None else _concat()
    return SemiBatchSampler(InfiniteSampler(dataset, shuffle=True, seed=seed),
                            batch_size=lab + extra, labelled_per_gpu=lab,
                            extra_per_gpu=extra, **kwargs)


def _rank_batches(single, rank, world_size, n):
    """Batches of ``rank`` as the stream definition gives them: batch ``b`` is
    batch ``b * world_size + rank`` of the one-rank sampler ``single`` with the
    same seed, sizes and per-source counts."""
    return _take(single, world_size * n)[rank::world_size]


def _take(sampler, n):
    return list(itertools.islice(iter(sampler), n))


def _split(batches, lab):
    labelled = [i for b in batches for i in b[:lab]]
    extra = [i - N_LAB for b in batches for i in b[lab:]]
    return labelled, extra


@pytest.mark.parametrize('lab, extra', [(4, 4), (1, 7), (3, 0)])
def test_composition_single_rank(lab, extra):
    batches = _take(_sampler(lab=lab, extra=extra), 50)
    for batch in batches:
        assert len(batch) == lab + extra
        assert all(0 <= i < N_LAB for i in batch[:lab])
        assert all(N_LAB <= i < N_LAB + N_EXTRA for i in batch[lab:])


def test_each_pass_is_a_fresh_permutation_per_source():
    labelled, extra = _split(_take(_sampler(), 60), 4)
    for stream, size in ((labelled, N_LAB), (extra, N_EXTRA)):
        passes = [stream[k * size:(k + 1) * size] for k in range(len(stream) // size)]
        assert len(passes) >= 3
        for one in passes:
            assert sorted(one) == list(range(size))  # no repeat within a pass
        assert len({tuple(p) for p in passes}) == len(passes)  # reshuffled


def test_sources_are_shuffled_independently():
    batches = _take(_sampler(_concat(12, 12), lab=4, extra=4), 3)
    labelled = [i for b in batches for i in b[:4]]
    extra = [i - 12 for b in batches for i in b[4:]]
    assert labelled != extra


@pytest.mark.parametrize('n_lab, n_extra', [(10, 23), (8, 16)])
def test_two_ranks_disjoint_exact_and_covering(two_ranks, n_lab, n_extra):
    dataset = _concat(n_lab, n_extra)
    per_rank = [r[f'{n_lab}+{n_extra}'] for r in two_ranks]
    streams = []
    for batches in per_rank:
        for batch in batches:
            assert len(batch) == 5
            assert all(i < n_lab for i in batch[:2])
            assert all(n_lab <= i < n_lab + n_extra for i in batch[2:])
        streams.append(([i for b in batches for i in b[:2]],
                        [i for b in batches for i in b[2:]]))
    # the two ranks' batches of each step, rank 0 first, restore the global chain:
    # each pass of a source is split between the ranks without overlap
    for source, size, offset, count in ((0, n_lab, 0, 2), (1, n_extra, n_lab, 3)):
        merged = []
        for batch0, batch1 in zip(*per_rank):
            part = slice(0, 2) if source == 0 else slice(2, 5)
            merged += batch0[part] + batch1[part]
        for k in range(len(merged) // size):
            assert sorted(merged[k * size:(k + 1) * size]) == \
                list(range(offset, offset + size))
        first_pass = merged[:size]
        mine = [first_pass[i:i + count]
                for i in range(0, size - size % (2 * count), 2 * count)]
        theirs = [first_pass[i + count:i + 2 * count]
                  for i in range(0, size - size % (2 * count), 2 * count)]
        assert not set(sum(mine, [])) & set(sum(theirs, []))
    # one rank with the same seed and counts draws the two ranks' batches in turn:
    # 2 processes = 1 process with accumulative_counts=2, micro-batch for micro-batch
    single = _take(_sampler(dataset, lab=2, extra=3, seed=7), 80)
    assert single[0::2] == per_rank[0] and single[1::2] == per_rank[1]


def test_seed_determinism_and_default_from_sampler():
    assert _take(_sampler(seed=3), 10) == _take(_sampler(seed=3), 10)
    assert _take(_sampler(seed=3), 10) != _take(_sampler(seed=4), 10)
    assert _sampler(seed=11).seed == 11


def test_batch_size_must_match():
    with pytest.raises(ValueError, match=r'batch_size=6 .*4 \+ 4.*auto_scale_lr'):
        SemiBatchSampler(InfiniteSampler(_concat(), seed=0), batch_size=6,
                         labelled_per_gpu=4, extra_per_gpu=4)


def test_dataset_shape_errors_and_labelled_only_mode():
    with pytest.raises(TypeError, match='ConcatDataset'):
        _sampler(IndexDataset(10), lab=2, extra=2)
    three = ConcatDataset([IndexDataset(2), IndexDataset(2), IndexDataset(2)])
    with pytest.raises(ValueError, match='3 datasets'):
        _sampler(three)
    only = _take(_sampler(IndexDataset(10), lab=4, extra=0), 10)
    flat = [i for b in only for i in b]
    assert sorted(flat[:10]) == list(range(10)) and len(only[0]) == 4


class RecordingModel(BaseModel):
    """Trains one scalar and records the global indices of every batch."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))
        self.seen = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.seen.append(list(data_samples))
        return dict(loss=(self.weight * torch.cat(inputs).mean()) ** 2)


def _runner(work_dir, resume_from=None):
    init_default_scope('mmseg')
    return Runner(
        model=RecordingModel(), work_dir=work_dir,
        train_dataloader=dict(
            dataset=_concat(), batch_size=5, num_workers=0,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            batch_sampler=dict(type='SemiBatchSampler', labelled_per_gpu=2,
                               extra_per_gpu=3),
            collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=False, max_iters=7, val_interval=1000),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=3,
                                           by_epoch=False, save_last=False),
                           logger=dict(type='LoggerHook', interval=100)),
        randomness=dict(seed=1234), default_scope='mmseg',
        load_from=resume_from, resume=resume_from is not None)


def test_resumed_runner_sees_the_same_stream(tmp_path):
    """A real mmengine run (IterBasedTrainLoop) resumed from iteration 3."""
    first = _runner(str(tmp_path / 'a'))
    first.train()
    full = first.model.seen
    assert len(full) == 7
    sampler = first.train_dataloader.batch_sampler
    assert isinstance(sampler, SemiBatchSampler) and sampler.seed == 1234
    assert full == _take(SemiBatchSampler(sampler.sampler, 5, 2, 3, seed=1234), 7)
    ckpt = str(tmp_path / 'a' / 'iter_3.pth')
    assert osp.isfile(ckpt)
    second = _runner(str(tmp_path / 'b'), resume_from=ckpt)
    second.train()
    assert second.model.seen == full[3:]  # fast-forward skipped exactly 3 batches


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _ddp_worker(rank, world_size, port, out_dir):
    import torch.distributed as dist
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}',
                            rank=rank, world_size=world_size)
    try:
        dataset = _concat()
        sampler = SemiBatchSampler(InfiniteSampler(dataset, shuffle=True),
                                   batch_size=3, labelled_per_gpu=1, extra_per_gpu=2)
        batches = list(itertools.islice(iter(sampler), 30))
        out = dict(seed=sampler.seed, rank=sampler.rank,
                   world_size=sampler.world_size, batches=batches)
        for n_lab, n_extra in ((10, 23), (8, 16)):
            out[f'{n_lab}+{n_extra}'] = _take(
                _sampler(_concat(n_lab, n_extra), lab=2, extra=3, seed=7), 40)
        with open(osp.join(out_dir, f'rank{rank}.json'), 'w') as f:
            json.dump(out, f)
    finally:
        dist.destroy_process_group()


@pytest.fixture(scope='module')
def two_ranks(tmp_path_factory):
    """What the samplers of two real gloo ranks give (rank and world size from
    the process group)."""
    out = tmp_path_factory.mktemp('two_ranks')
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    mp.spawn(_ddp_worker, args=(2, _free_port(), str(out)), nprocs=2, join=True)
    return [json.load(open(out / f'rank{r}.json')) for r in range(2)]


def test_real_two_process_gloo(two_ranks):
    """Default rank/world size/seed come from the process group (same seed)."""
    results = two_ranks
    assert results[0]['seed'] == results[1]['seed']
    assert [r['rank'] for r in results] == [0, 1]
    assert all(r['world_size'] == 2 for r in results)
    lab = [[b[0] for b in r['batches']] for r in results]
    assert not set(lab[0][:N_LAB // 2]) & set(lab[1][:N_LAB // 2])
    assert sorted(lab[0][:5] + lab[1][:5]) == list(range(N_LAB))
    # rank 0's then rank 1's extra chunk of each step: the chain, one pass first
    merged = [i for b0, b1 in zip(*(r['batches'] for r in results))
              for i in b0[1:] + b1[1:]][:N_EXTRA]
    assert sorted(merged) == list(range(N_LAB, N_LAB + N_EXTRA))
    single = _sampler(lab=1, extra=2, seed=results[0]['seed'])
    expected = [_rank_batches(single, r, 2, 30) for r in range(2)]
    assert [r['batches'] for r in results] == expected
