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
    for _, config, _ in demo.RUNS:
        assert osp.isfile(osp.join(repo_root, config)), config


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
