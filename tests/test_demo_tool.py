"""tools/demo.py: split selection per config kind and stale-data detection."""
import json
import os.path as osp
import sys

import pytest


@pytest.fixture(scope='module')
def demo(repo_root):
    sys.path.insert(0, osp.join(repo_root, 'tools'))
    import demo
    return demo


def test_split_options_target_the_labelled_dataset(demo):
    semi = demo.split_options('configs/pseudoseg/demo/demo_pseudoseg_1-16.py', 2)
    sup = demo.split_options('configs/pseudoseg/demo/demo_supervised_1-16.py', 3)
    assert semi == ['--cfg-options', 'train_dataloader.dataset.datasets.0.ann_file='
                    'ImageSets/SegmentationSemi/1-16_seed2.txt']
    assert sup == ['--cfg-options', 'train_dataloader.dataset.ann_file='
                   'ImageSets/SegmentationSemi/1-16_seed3.txt']


def test_every_demo_run_has_a_config(demo, repo_root):
    for _, config, _, _ in demo.RUNS:
        assert osp.isfile(osp.join(repo_root, config)), config


def test_default_rows_ceiling_and_optional_rows_on_request(demo):
    base = ['demo_supervised_1-16.py', 'demo_pseudoseg_1-16.py',
            'demo_pseudoseg_1-16_imglabels.py']
    names = lambda runs: [osp.basename(r[1]) for r in runs]  # noqa: E731
    assert names(demo.select_runs()) == base
    assert names(demo.select_runs(ceiling=True)) == base + ['demo_supervised_full.py']
    assert names(demo.select_runs(optional=True)) == base + [
        'demo_pseudoseg_1-16_scratch_options.py']
    assert names(demo.select_runs(only=['EMA'])) == [
        'demo_pseudoseg_1-16_scratch_options.py']


def test_recorded_ceiling_is_the_calibration_record(demo, repo_root):
    """The ceiling printed without --ceiling is the one docs/demo_calibration.md
    records for demo_supervised_full.py, and it meets the >= 70 mIoU calibration."""
    ceiling = demo.RECORDED_CEILING
    assert ceiling['mIoU'] >= 70
    with open(osp.join(repo_root, 'docs/demo_calibration.md')) as f:
        record = f.read()
    assert (f'ceiling **{ceiling["mIoU"]:.2f}** mIoU, ECE {ceiling["ECE"]:.2f}'
            in ' '.join(record.split()))


def test_ceiling_is_trained_only_with_the_flag(demo, capsys, tmp_path):
    demo.main(['--dry-run', '--work-dir', str(tmp_path)])
    assert 'demo_supervised_full.py' not in capsys.readouterr().out
    demo.main(['--dry-run', '--ceiling', '--work-dir', str(tmp_path)])
    assert 'demo_supervised_full.py' in capsys.readouterr().out


def test_table_rows_mean_std_and_the_recorded_ceiling(demo, capsys):
    rows = [('supervised', [(50.0, 2.0, 'a.pth', 1.0), (52.0, 4.0, 'b.pth', 2.0)])]
    demo.print_table(rows, with_record=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[2] == '| supervised | 51.00 ± 1.41 | 3.00 ± 1.41 | 2 | a.pth | 3.0 |'
    assert lines[3].startswith('| ceiling: supervised, all labelled (calibration '
                               'record; --ceiling re-trains it) | 70.20 | 2.09 |')
    demo.print_table(rows, with_record=False)
    assert 'ceiling' not in capsys.readouterr().out


def test_scratch_options_config_changes_only_teacher_and_rampup(repo_root):
    from mmengine.config import Config
    demo_dir = osp.join(repo_root, 'configs/pseudoseg/demo')
    base = Config.fromfile(osp.join(demo_dir, 'demo_pseudoseg_1-16.py'))
    opt = Config.fromfile(osp.join(demo_dir, 'demo_pseudoseg_1-16_scratch_options.py'))
    assert opt.model.semi_train_cfg.teacher == 'ema'
    assert opt.model.semi_train_cfg.ema_momentum == 0.99
    assert opt.custom_hooks == [dict(type='PseudoLabelHook', interval=500,
                                     num_panels=2, rampup_iters=1000,
                                     rampup='sigmoid')]
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler'):
        assert opt[key] == base[key], key
    opt.model.semi_train_cfg.pop('teacher')
    opt.model.semi_train_cfg.pop('ema_momentum')
    base.model.semi_train_cfg.pop('teacher', None)
    base.model.semi_train_cfg.pop('ema_momentum', None)
    assert opt.model == base.model


def test_stale_or_missing_data_is_rebuilt(demo, tmp_path, capsys):
    from make_demo_data import DATA_VERSION
    root = tmp_path / 'demo_voc'
    demo.ensure_data(str(root), dry_run=True)           # missing -> build
    assert 'building the demo dataset' in capsys.readouterr().out
    root.mkdir()
    (root / 'demo_meta.json').write_text(json.dumps({'data_version': DATA_VERSION - 1}))
    demo.ensure_data(str(root), dry_run=True)           # other version -> rebuild
    out = capsys.readouterr().out
    assert 'rebuilding' in out and 'building the demo dataset' in out
    (root / 'demo_meta.json').write_text(json.dumps({'data_version': DATA_VERSION}))
    demo.ensure_data(str(root), dry_run=True)           # current -> nothing to do
    assert capsys.readouterr().out == ''
