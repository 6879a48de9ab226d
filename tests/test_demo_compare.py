"""tools/demo.py --compare: its rows, the baselines' demo configs (the demo's data,
model and schedule with each method's recipe step) and the bar chart."""
import os.path as osp
import sys

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

BASELINE_DEMO = 'configs/baselines/demo'
PSEUDOSEG_DEMO = 'configs/pseudoseg/demo/demo_pseudoseg_1-16.py'


@pytest.fixture(scope='module')
def demo(repo_root):
    sys.path.insert(0, osp.join(repo_root, 'tools'))
    import demo
    return demo


def test_compare_rows_are_every_method_on_the_unlabelled_images(demo):
    names = [osp.basename(r.config) for r in demo.select_runs(compare=True)]
    assert names == ['demo_supervised_1-16.py', 'demo_mean-teacher_1-16.py',
                     'demo_cutmix-seg_1-16.py', 'demo_fixmatch_1-16.py',
                     'demo_unimatch_1-16.py', 'demo_pseudoseg_1-16.py',
                     'demo_pseudoseg_1-16_ema-rampup.py']
    with_ceiling = demo.select_runs(compare=True, ceiling=True)
    assert osp.basename(with_ceiling[-1].config) == 'demo_supervised_full.py'


def test_compare_dry_run_plans_every_row_and_draw(demo, tmp_path, capsys):
    demo.main(['--compare', '--dry-run', '--seeds', '1', '2', '3',
               '--work-dir', str(tmp_path)])
    commands = [line for line in capsys.readouterr().out.splitlines()
                if 'tools/train.py' in line]  # not the data build of a fresh clone
    assert len(commands) == 7 * 3
    for name in ('mean-teacher', 'cutmix-seg', 'fixmatch', 'unimatch'):
        assert sum(f'demo_{name}_1-16.py' in c for c in commands) == 3, name
    with pytest.raises(SystemExit, match='--compare runs its own rows'):
        demo.main(['--compare', '--only', 'UniMatch', '--dry-run'])


RECIPES = {
    'mean-teacher': 'configs/baselines/deeplabv3plus_r101_voc_1-16_mean-teacher.py',
    'cutmix-seg': 'configs/baselines/deeplabv3plus_r101_voc_1-16_cutmix-seg.py',
    'fixmatch': 'configs/baselines/deeplabv3plus_r101_voc_1-16_fixmatch.py',
    'unimatch': 'configs/baselines/deeplabv3plus_r101_voc_1-16_unimatch.py',
}


@pytest.mark.parametrize('method', sorted(RECIPES))
def test_baseline_demo_rows_are_the_demo_with_the_recipe_step(repo_root, method):
    """Same data, model size, schedule and optimiser as the PseudoSeg demo row; the
    method's segmentor, semi_train_cfg and strong view are its recipe's, at the
    demo's crop; no SGC head or fusion is left over."""
    cfg = Config.fromfile(osp.join(repo_root, BASELINE_DEMO, f'demo_{method}_1-16.py'))
    base = Config.fromfile(osp.join(repo_root, PSEUDOSEG_DEMO))
    recipe = Config.fromfile(osp.join(repo_root, RECIPES[method]))
    for key in ('val_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler',
                'randomness', 'default_hooks'):
        assert cfg.get(key) == base.get(key), key
    for key in ('backbone', 'decode_head', 'data_preprocessor', 'test_cfg'):
        assert cfg.model[key] == base.model[key], key
    assert 'sgc_head' not in cfg.model and 'pseudo_labeler' not in cfg.model
    assert cfg.model.type == recipe.model.type
    assert cfg.model.semi_train_cfg == recipe.model.semi_train_cfg
    assert [h['type'] for h in cfg.custom_hooks] == \
        [h['type'] for h in recipe.custom_hooks]
    ours, theirs = (c.train_dataloader.dataset.datasets for c in (cfg, base))
    recipe_sets = recipe.train_dataloader.dataset.datasets
    assert ours[1].pipeline[:-1] == theirs[1].pipeline[:-1]  # load + geometry
    assert ours[0].pipeline[:-1] == theirs[0].pipeline[:-1]
    for name, branch in ours[1].pipeline[-1].items():
        if name in ('type', 'branch_field'):
            continue
        steps = recipe_sets[1].pipeline[-1][name]
        for mine, recipe_step in zip(branch, steps):
            if 'crop_size' in recipe_step:  # the box is drawn at the demo's crop
                recipe_step = dict(recipe_step, crop_size=base.crop_size)
            assert mine == recipe_step, (name, mine['type'])
        assert len(branch) == len(steps)
    assert ours[1].pipeline[-1].branch_field == \
        recipe_sets[1].pipeline[-1].branch_field
    assert ours[0].pipeline[-1] == recipe_sets[0].pipeline[-1]


@pytest.mark.parametrize('method', sorted(RECIPES))
def test_baseline_demo_row_takes_a_training_step(repo_root, voc_root, method):
    """One batch of the demo row's own pipelines (on a tiny VOC tree) through one
    training step of its model: every loss finite, the unlabelled one present."""
    import torch
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import OptimWrapper
    from mmseg.registry import DATASETS, MODELS
    import mmseg_pseudoseg  # noqa: F401
    init_default_scope('mmseg')
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(repo_root, BASELINE_DEMO, f'demo_{method}_1-16.py'))
    samples = []
    labelled, extra = cfg.train_dataloader.dataset.datasets
    for dataset in (dict(labelled, ann_file='ImageSets/Segmentation/train.txt'), extra):
        dataset = DATASETS.build(dict(dataset, data_root=voc_root))
        samples += [dataset[i] for i in range(2)]
    model = MODELS.build(cfg.model)
    for hook in cfg.custom_hooks:
        if hook['type'] == 'EMATeacherHook':
            model.init_teacher(copy_student=True)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
    log_vars = model.train_step(pseudo_collate(samples), optim)
    assert all(torch.isfinite(torch.as_tensor(v)).all() for v in log_vars.values())
    assert any(k.startswith('unsup.loss') for k in log_vars), sorted(log_vars)


def test_bar_chart_has_one_bar_per_method_with_error_bars(repo_root, tmp_path, demo):
    from PIL import Image
    from demo_bar_chart import bar_chart
    path = bar_chart([('supervised', [50.0, 52.0, 48.0]), ('PseudoSeg', [55.5]),
                      ('FixMatch', [51.0, 53.0, 52.0])], str(tmp_path / 'bars.png'))
    with Image.open(path) as image:
        assert image.format == 'PNG' and image.size[0] > image.size[1] > 100
