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


def test_default_rows_are_the_issue_four_and_optional_rows_on_request(demo):
    configs = [osp.basename(r[1]) for r in demo.select_runs()]
    assert configs == ['demo_supervised_1-16.py', 'demo_pseudoseg_1-16.py',
                       'demo_pseudoseg_1-16_imglabels.py', 'demo_supervised_full.py']
    with_optional = [osp.basename(r[1]) for r in demo.select_runs(optional=True)]
    assert with_optional == configs + ['demo_pseudoseg_1-16_scratch_options.py']
    only = [osp.basename(r[1]) for r in demo.select_runs(only=['EMA'])]
    assert only == ['demo_pseudoseg_1-16_scratch_options.py']


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
