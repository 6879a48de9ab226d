"""tools/benchmark.py: every key is measured, ratios are consistent with the times."""
import json
import math
import os.path as osp
import statistics
import sys

import pytest
from mmengine.registry import init_default_scope

from mmseg_pseudoseg.utils import iter_config_dicts

KEYS = ('sup_step_s', 'semi_step_s', 'semi_shared_step_s', 'fwd_nograd_s',
        'ratio_semi_over_sup', 'ratio_semi_over_bound', 'ratio_semi_shared_over_bound', 'peak_mem_sup_mb', 'peak_mem_semi_mb',
        'ratio_infer_over_stock', 'ratio_infer_over_stock_median_of_rounds',
        'ratio_strong_aug_over_stock')


@pytest.fixture(scope='module')
def benchmark_tool(repo_root):
    sys.path.insert(0, osp.join(repo_root, 'tools'))
    import benchmark
    return benchmark


def test_benchmark_writes_every_key(benchmark_tool, repo_root, tmp_path, capsys):
    out = tmp_path / 'bench.json'
    result = benchmark_tool.main([
        osp.join(repo_root, 'configs/pseudoseg/smoke_pseudoseg_tiny_voc.py'),
        '--crop', '32', '--repeats', '1', '--warmup', '0', '--aug-repeats', '2',
        '--json', str(out)])
    saved = json.loads(out.read_text())
    for key in KEYS:
        assert key in saved and math.isfinite(saved[key]), key
    assert saved == json.loads(json.dumps(result))
    assert saved['ratio_semi_over_sup'] == pytest.approx(
        saved['semi_step_s'] / saved['sup_step_s'])
    # the default cam_pass='eval' runs two no-grad passes (weak + inference-mode CAM)
    assert (saved['cam_pass'], saved['nograd_passes']) == ('eval', 2)
    assert saved['ratio_semi_over_bound'] == pytest.approx(
        saved['semi_step_s'] / (2 * saved['sup_step_s'] + 2 * saved['fwd_nograd_s']))
    assert saved['ratio_semi_shared_over_bound'] == pytest.approx(
        saved['semi_shared_step_s'] / (2 * saved['sup_step_s'] + saved['fwd_nograd_s']))
    assert saved['semi_step_s'] > 0 and saved['sup_step_s'] > 0
    assert saved['peak_mem_sup_mb'] > 0 and saved['peak_mem_semi_mb'] > 0
    assert saved['strong_aug_ops'] == ['StrongColorJitter', 'RandomCutOut']
    table = capsys.readouterr().out
    assert '| ratio_semi_over_bound |' in table and '≤ 1.05' in table


def test_benchmark_needs_an_extra_dataset(benchmark_tool, repo_root):
    cfg = benchmark_tool.load_cfg(
        osp.join(repo_root, 'configs/pseudoseg/deeplabv3plus_r101_voc_1-16_supervised.py'),
        32)
    with pytest.raises(ValueError, match='no extra dataset'):
        benchmark_tool.make_batches(cfg, 1, 1)


def test_benchmark_config_overrides(benchmark_tool, repo_root):
    cfg = benchmark_tool.load_cfg(
        osp.join(repo_root, 'configs/pseudoseg/deeplabv3plus_r101_voc_1-16.py'), 97)
    assert cfg['model']['data_preprocessor']['size'] == (97, 97)
    assert cfg['model']['backbone']['init_cfg'] is None  # never downloads weights
    crops = [n['crop_size'] for n in iter_config_dicts(cfg['train_dataloader'])
             if n.get('type') == 'RandomCrop']
    assert crops and set(crops) == {(97, 97)}
    # the recipe's own pipelines (sample checks included) make the batches
    init_default_scope('mmseg')
    semi, sup = benchmark_tool.make_batches(cfg, 1, 1)
    assert len(sup['inputs']) == 1 and sup['inputs'][0].shape[-2:] == (97, 97)
    assert semi['inputs']['strong'][1].shape == semi['inputs']['weak'][1].shape
    with pytest.raises(FileNotFoundError, match='nope.py'):
        benchmark_tool.load_cfg('nope.py', 32)


def test_inference_ratio_times_one_computation(benchmark_tool, repo_root):
    """The stock model is made from the segmentor's current weights, and the tool
    refuses to time two models whose test-time logits differ."""
    import torch
    from mmengine.config import ConfigDict
    from mmseg.registry import MODELS
    from mmseg_pseudoseg.apis import strip_training_only
    init_default_scope('mmseg')
    cfg = benchmark_tool.load_cfg(
        osp.join(repo_root, 'configs/pseudoseg/smoke_pseudoseg_tiny_voc.py'), 32)
    _, sup = benchmark_tool.make_batches(cfg, 1, 1)
    model = MODELS.build(ConfigDict(cfg['model'])).eval()
    test = model.data_preprocessor(sup, False)
    stock = benchmark_tool.stock_model(
        cfg, strip_training_only(model.state_dict())).eval()
    benchmark_tool.same_logits(model, stock, test)
    assert stock.decode_head.conv_seg.weight is not model.decode_head.conv_seg.weight
    assert stock.decode_head.conv_seg.weight.data_ptr() == \
        model.decode_head.conv_seg.weight.data_ptr()  # the same memory
    stock.decode_head.conv_seg.weight = torch.nn.Parameter(
        model.decode_head.conv_seg.weight.detach() + 0.5)
    with pytest.raises(RuntimeError, match='does not reproduce'):
        benchmark_tool.same_logits(model, stock, test)


def test_paired_ratio_alternates_and_compares_each_sides_fastest_run(
        benchmark_tool, monkeypatch):
    """A B, B A, A B, ...; the ratio of the two minima and the median of the
    per-round ratios (a scripted clock stands in for the machine)."""
    calls, clock = [], {'a': iter([4.0, 2.0, 9.0, 3.0]), 'b': iter([2.0, 4.0, 3.0, 3.0])}
    def timed(fn, device):
        calls.append(fn())
        return next(clock[calls[-1]])
    monkeypatch.setattr(benchmark_tool, 'timed', timed)
    ratio, median = benchmark_tool.paired_ratio(lambda: 'a', lambda: 'b', 4, 0, 'cpu')
    assert calls == ['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a']
    assert ratio == 2.0 / 2.0
    assert median == statistics.median([4 / 2, 2 / 4, 9 / 3, 3 / 3])
