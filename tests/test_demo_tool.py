"""tools/demo.py: split selection, stale-data detection, the live line of a real
tiny training and the comparison picture of its checkpoints."""
import glob
import io
import json
import os
import os.path as osp
import re
import sys

import numpy as np
import pytest
from mmengine.config import Config


@pytest.fixture(scope='module')
def demo(repo_root):
    sys.path.insert(0, osp.join(repo_root, 'tools'))
    import demo
    return demo


def test_train_options_target_the_labelled_dataset(demo):
    semi = demo.train_options('configs/pseudoseg/demo/demo_pseudoseg_1-16.py', 2)
    sup = demo.train_options('configs/pseudoseg/demo/demo_supervised_1-16.py', 3)
    full = demo.train_options('configs/pseudoseg/demo/demo_supervised_full.py', None)
    interval = f'default_hooks.logger.interval={demo.LOG_INTERVAL}'
    assert semi == ['--cfg-options', 'train_dataloader.dataset.datasets.0.ann_file='
                    'ImageSets/SegmentationSemi/1-16_seed2.txt', interval]
    assert sup == ['--cfg-options', 'train_dataloader.dataset.ann_file='
                   'ImageSets/SegmentationSemi/1-16_seed3.txt', interval]
    assert full == ['--cfg-options', interval]


def test_every_demo_run_has_a_config(demo, repo_root):
    for run in demo.RUNS:
        assert osp.isfile(osp.join(repo_root, run.config)), run.config


def test_default_rows_ceiling_and_optional_rows_on_request(demo):
    base = ['demo_supervised_1-16.py', 'demo_pseudoseg_1-16_ema-rampup.py',
            'demo_pseudoseg_1-16_imglabels_ema-rampup.py']
    names = lambda runs: [osp.basename(r.config) for r in runs]  # noqa: E731
    assert names(demo.select_runs()) == base
    assert names(demo.select_runs(ceiling=True)) == base + ['demo_supervised_full.py']
    optional = ['demo_pseudoseg_1-16.py', 'demo_pseudoseg_1-16_imglabels.py',
                'demo_pseudoseg_1-16_class-threshold-0.3.py']
    assert names(demo.select_runs(optional=True)) == base + optional
    assert names(demo.select_runs(only=['recipe settings'])) == optional


def test_recorded_ceiling_is_the_calibration_record(demo, repo_root):
    """The ceiling printed without --ceiling is the one docs/demo_calibration.md
    records for demo_supervised_full.py."""
    ceiling = demo.RECORDED_CEILING
    with open(osp.join(repo_root, 'docs/demo_calibration.md')) as f:
        record = f.read()
    assert (f'ceiling **{ceiling["mIoU"]:.2f}** mIoU, ECE {ceiling["ECE"]:.2f}'
            in ' '.join(record.split()))


def test_ceiling_is_trained_only_with_the_flag(demo, capsys, tmp_path):
    demo.main(['--dry-run', '--work-dir', str(tmp_path)])
    assert 'demo_supervised_full.py' not in capsys.readouterr().out
    demo.main(['--dry-run', '--ceiling', '--work-dir', str(tmp_path)])
    assert 'demo_supervised_full.py' in capsys.readouterr().out


def test_recorded_ceiling_row_fills_the_summary_columns(demo):
    row = demo.recorded_ceiling_row()
    assert list(row) == list(demo.COLUMNS)
    line = demo.markdown_table([row]).splitlines()[2]
    assert line.startswith('| ceiling: supervised, all labelled (calibration '
                           'record; --ceiling re-trains it) | record |')
    assert row['final mIoU'] == '64.66' and row['final ECE'] == '3.74'


OPTIONS = [dict(type='EMATeacherHook', momentum=0.01),
           dict(type='UnsupWeightRampUpHook', rampup_iters=600, mode='sigmoid')]


@pytest.mark.parametrize('variant,base,semi_cfg,extra_hooks', [
    ('demo_pseudoseg_1-16_ema-rampup', 'demo_pseudoseg_1-16', dict(teacher='ema'),
     OPTIONS),
    ('demo_pseudoseg_1-16_imglabels_ema-rampup', 'demo_pseudoseg_1-16_imglabels',
     dict(teacher='ema'), OPTIONS),
    ('demo_pseudoseg_1-16_class-threshold-0.3', 'demo_pseudoseg_1-16',
     dict(class_threshold=0.3), []),
])
def test_demo_variants_change_only_their_options(repo_root, variant, base, semi_cfg,
                                                 extra_hooks):
    """Each variant row is its base row plus the named semi_train_cfg keys and
    hooks: same data, schedule, optimiser and model otherwise."""
    demo_dir = osp.join(repo_root, 'configs/pseudoseg/demo')
    base = Config.fromfile(osp.join(demo_dir, base + '.py'))
    opt = Config.fromfile(osp.join(demo_dir, variant + '.py'))
    assert opt.custom_hooks == base.custom_hooks + extra_hooks
    for key in ('train_dataloader', 'val_dataloader', 'train_cfg', 'optim_wrapper',
                'param_scheduler', 'randomness'):
        assert opt.get(key) == base.get(key), key
    for key, value in semi_cfg.items():
        assert opt.model.semi_train_cfg.pop(key) == value
        assert key not in base.model.semi_train_cfg
    assert opt.model == base.model


def test_stale_or_missing_data_is_rebuilt(demo, tmp_path, capsys):
    from demo_set import DATA_VERSION
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


SMOKE = 'configs/pseudoseg/smoke_stock_fcn_tiny_voc.py'


@pytest.fixture(scope='module')
def live_run(demo, voc_root, tmp_path_factory):
    """A 3-iteration training through the demo's runner, its live line captured."""
    import io
    work = str(tmp_path_factory.mktemp('live') / 'tiny')
    stream = io.StringIO()  # not a terminal: one line per update
    cmd = [sys.executable, 'tools/train.py', SMOKE, '--work-dir', work,
           '--cfg-options', f'train_dataloader.dataset.data_root={voc_root}',
           f'val_dataloader.dataset.data_root={voc_root}',
           f'test_dataloader.dataset.data_root={voc_root}',
           'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
           'optim_wrapper.optimizer.lr=0.001']  # predictions still vary by pixel
    done = []
    demo.run_jobs([demo.Job(cmd, work + '_train.log', '[demo] tiny', dict(os.environ),
                            lambda: done.append(work))], 1, demo.LiveBoard(stream))
    assert done == [work]
    return work, stream.getvalue()


def test_live_line_shows_iteration_loss_elapsed_and_eta(live_run):
    work, shown = live_run
    assert shown.startswith('[demo] tiny: iter 1/3, loss ') and shown.endswith('\n')
    updates = shown.splitlines()
    assert [u.split(',')[0] for u in updates[:3]] == [
        f'[demo] tiny: iter {i}/3' for i in (1, 2, 3)]
    with open(glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))[0]) as f:
        losses = {r['step']: r['loss'] for r in map(json.loads, f) if 'loss' in r}
    for i, update in enumerate(updates[:3], start=1):
        assert re.fullmatch(
            rf'\[demo\] tiny: iter {i}/3, loss {losses[i]:.4f}, elapsed '
            r'\d+:\d\d:\d\d, ETA \d+:\d\d:\d\d *', update), update
    assert re.fullmatch(r'\[demo\] tiny: iter 3/3, validating 6/6, elapsed '
                        r'\d+:\d\d:\d\d *', updates[-1]), updates[-1]
    with open(work + '_train.log') as f:  # the whole log went to the file
        assert 'Iter(train) [3/3]' in f.read()


def test_failed_run_raises_with_the_log_tail(demo, tmp_path):
    fail = 'import sys; print("Iter(train) [1/5]  loss: 2.0"); sys.exit("boom")'
    stream = io.StringIO()
    with pytest.raises(SystemExit, match=r'command failed \(1\)(.|\n)*boom'):
        demo.run_jobs([demo.Job([sys.executable, '-c', fail], str(tmp_path / 'x.log'),
                                'x', dict(os.environ), lambda: None)], 1,
                      demo.LiveBoard(stream))
    assert stream.getvalue().startswith('x: iter 1/5, loss 2.0000, elapsed')


def test_comparison_picture_panels_are_the_models_predictions(live_run, voc_root,
                                                              tmp_path):
    """image | ground truth | one column per model, each the stock mmseg inference
    of that checkpoint, painted with the palette."""
    from mmseg.apis import inference_model, init_model
    from PIL import Image

    from demo_comparison import HEADER_H, comparison_picture
    from mmseg_pseudoseg.visualization import colorize
    work, _ = live_run
    opts = {'val_dataloader.dataset.data_root': voc_root}
    models = [('after 2', SMOKE, osp.join(work, 'iter_2.pth')),
              ('after 3', SMOKE, osp.join(work, 'iter_3.pth'))]
    out = comparison_picture(models, str(tmp_path / 'cmp.png'), num_images=2,
                             zoom=2, cfg_options=opts)
    picture = np.asarray(Image.open(out).convert('RGB'))
    with open(osp.join(voc_root, 'ImageSets/Segmentation/val.txt')) as f:
        ids = f.read().split()[:2]
    sizes = [Image.open(osp.join(voc_root, 'JPEGImages', i + '.jpg')).size
             for i in ids]
    h, w = (max(s[1] for s in sizes) + 1) * 2, (max(s[0] for s in sizes) + 1) * 2
    grid_h = HEADER_H + 2 * h
    assert picture.shape[1:] == (4 * w, 3)
    from mmseg.datasets import PascalVOCDataset
    palette = PascalVOCDataset.METAINFO['palette']
    predictions = []
    for _, config, ckpt in models:
        cfg = Config.fromfile(config)
        cfg.test_dataloader.dataset.data_root = voc_root
        model = init_model(cfg, ckpt, device='cpu')
        predictions.append([inference_model(model, osp.join(
            voc_root, 'JPEGImages', i + '.jpg')).pred_sem_seg.data[0].numpy()
            for i in ids])
    assert not np.array_equal(predictions[0][0], predictions[1][0]) or \
        not np.array_equal(predictions[0][1], predictions[1][1])
    shown = set()
    for row, img_id in enumerate(ids):
        image = np.asarray(Image.open(osp.join(voc_root, 'JPEGImages', img_id + '.jpg')))
        top, ih, iw = HEADER_H + row * h, image.shape[0] * 2, image.shape[1] * 2
        panel = lambda k: picture[top:top + ih, k * w:k * w + iw]  # noqa: E731
        gt = np.asarray(Image.open(osp.join(voc_root, 'SegmentationClass',
                                            img_id + '.png')))
        up = lambda a: np.repeat(np.repeat(a, 2, 0), 2, 1)  # noqa: E731
        assert np.abs(panel(0).astype(int) - up(image).astype(int)).max() <= 1
        np.testing.assert_array_equal(panel(1), up(colorize(gt, palette)))
        shown.update(np.unique(gt).tolist())
        for k in range(2):
            np.testing.assert_array_equal(
                panel(2 + k), up(colorize(predictions[k][row], palette)))
            shown.update(np.unique(predictions[k][row]).tolist())
    # below the grid: the legend of every class on a label panel (names + colours)
    from mmseg_pseudoseg.visualization import class_legend
    legend = class_legend(PascalVOCDataset.METAINFO['classes'], palette, 4 * w, shown)
    np.testing.assert_array_equal(picture[grid_h:], legend)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_board_on_a_terminal_keeps_one_line_per_run_below_the_rows(demo):
    """Two runs in flight: each update redraws both lines in place (cursor up,
    clear), printed rows go above them, a finished run leaves its last line."""
    screen = Terminal()
    board = demo.LiveBoard(screen)
    a, b = demo.LiveLine('A'), demo.LiveLine('B')
    board.add(a)
    board.add(b)
    a.feed('Iter(train) [ 20/100]  eta: 0:01:00  loss: 1.5000')
    board.update(a)
    b.feed('Iter(train) [ 40/200]  eta: 0:02:00  loss: 0.2500')
    board.update(b)
    board.print('row of C')
    a.feed('Iter(val) [3/8]')
    board.finish(a)
    out = screen.getvalue()
    frames = out.split('\x1b[2F\x1b[J')  # each redraw of the two-line block
    clean = lambda s: re.sub(r'elapsed \d+:\d\d:\d\d', 'elapsed T', s)  # noqa: E731
    assert [clean(f) for f in frames] == [
        'A: iter 20/100, loss 1.5000, elapsed T, ETA 0:01:00\x1b[K\n\x1b[K\n',
        'A: iter 20/100, loss 1.5000, elapsed T, ETA 0:01:00\x1b[K\n'
        'B: iter 40/200, loss 0.2500, elapsed T, ETA 0:02:00\x1b[K\n',
        'row of C\n'
        'A: iter 20/100, loss 1.5000, elapsed T, ETA 0:01:00\x1b[K\n'
        'B: iter 40/200, loss 0.2500, elapsed T, ETA 0:02:00\x1b[K\n',
        'A: iter 20/100, validating 3/8, elapsed T\n'
        'B: iter 40/200, loss 0.2500, elapsed T, ETA 0:02:00\x1b[K\n']


def _job(demo, tmp_path, name, code, done):
    return demo.Job([sys.executable, '-c', code], str(tmp_path / f'{name}.log'),
                    name, dict(os.environ), lambda: done.append(name))


def test_jobs_run_side_by_side_and_report_when_done(demo, tmp_path):
    """With parallel=2 both jobs are alive at once: each waits for the other's
    file (a sequential run would time out) and ``on_done`` follows each."""
    wait = ('import os, sys, time\n'
            'open(sys.argv[1], "w").close()\n'
            'for _ in range(600):\n'
            '    if os.path.exists(sys.argv[2]): break\n'
            '    time.sleep(0.05)\n'
            'else: sys.exit("the other job never started")\n'
            'print("Iter(train) [1/1]  loss: 0.5")\n')
    done, stream = [], io.StringIO()
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    jobs = [_job(demo, tmp_path, 'A', wait, done), _job(demo, tmp_path, 'B', wait, done)]
    jobs[0].cmd.extend([a, b])
    jobs[1].cmd.extend([b, a])
    demo.run_jobs(jobs, 2, demo.LiveBoard(stream))
    assert sorted(done) == ['A', 'B']
    lines = sorted(stream.getvalue().splitlines())
    assert [line[0] for line in lines] == ['A', 'B']
    for line in lines:
        assert re.fullmatch(r'[AB]: iter 1/1, loss 0\.5000, elapsed \S+, ETA \S+',
                            line), line


def test_a_failed_job_stops_the_others_and_is_raised(demo, tmp_path):
    done = []
    jobs = [_job(demo, tmp_path, 'slow', 'import time; time.sleep(600)', done),
            _job(demo, tmp_path, 'bad', 'import sys; sys.exit("boom")', done),
            _job(demo, tmp_path, 'never', 'pass', done)]
    with pytest.raises(SystemExit, match=r'command failed \(1\)(.|\n)*boom'):
        demo.run_jobs(jobs, 2, demo.LiveBoard(io.StringIO()))
    assert done == []  # 'slow' was terminated, 'never' did not start
    assert not osp.exists(tmp_path / 'never.log')


@pytest.mark.parametrize('omp,parallel,each', [('2', 2, '1'), ('2', 1, '2'),
                                               ('1', 2, '1'), ('8', 3, '2')])
def test_concurrent_trainings_share_the_threads(demo, monkeypatch, omp, parallel,
                                                each):
    monkeypatch.setenv('OMP_NUM_THREADS', omp)
    assert demo.thread_env(parallel)['OMP_NUM_THREADS'] == each


def test_longest_trainings_start_first(demo, capsys, tmp_path):
    demo.main(['--dry-run', '--seeds', '1', '2', '--work-dir', str(tmp_path)])
    names = [re.search(r'demo/(\S+)\.py', line).group(1)
             for line in capsys.readouterr().out.splitlines() if 'train.py' in line]
    assert names == ['demo_pseudoseg_1-16_imglabels_ema-rampup'] * 2 + \
        ['demo_pseudoseg_1-16_ema-rampup'] * 2 + ['demo_supervised_1-16'] * 2


def test_main_prints_each_row_when_evaluated_then_table_and_picture(
        demo, voc_root, tmp_path, monkeypatch, capsys):
    """The whole demo flow on one tiny stock run (the demo's own rows, data and
    options replaced): the row right after its training, then the table with the
    recorded ceiling, the files and the picture of the run's last checkpoint."""
    monkeypatch.setattr(demo, 'RUNS', [demo.Run('tiny', SMOKE, False, 'default', 1.0)])
    monkeypatch.setattr(demo, 'DATA_ROOT', voc_root)
    monkeypatch.setattr(demo, 'ensure_data', lambda root, dry_run: None)
    monkeypatch.setattr(demo, 'train_options', lambda config, seed: [
        '--cfg-options', *(f'{k}_dataloader.dataset.data_root={voc_root}'
                           for k in ('train', 'val', 'test')),
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2'])
    rows = demo.main(['--work-dir', str(tmp_path)])
    out = capsys.readouterr().out
    row_line = re.search(r'\[demo\]   tiny: final mIoU (\S+), .*', out)
    assert row_line and out.index(row_line.group(0)) < out.index('| config |')
    assert [r['config'] for r in rows] == ['tiny', demo.recorded_ceiling_row()['config']]
    assert rows[0]['final mIoU'] == row_line.group(1).rstrip(',')
    for name in ('demo_table.md', 'demo_table.csv', 'comparison.png'):
        assert osp.isfile(tmp_path / name), name
    assert out.rstrip().endswith(f'picture: {tmp_path / "comparison.png"}')
