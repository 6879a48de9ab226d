"""tools/plot_reliability.py: reliability diagram from CalibrationMetric's JSON."""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip('matplotlib')

from mmseg_pseudoseg.evaluation import calibration_bins, reliability_table  # noqa
from tool_module import load_tool as load_tool_script

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOL = osp.join(REPO, 'tools', 'plot_reliability.py')


def load_tool():
    return load_tool_script('plot_reliability.py')


def write_table(path, seed=0, n_bins=15):
    rng = np.random.default_rng(seed)
    conf = rng.uniform(0.2, 1.0, size=4000)
    correct = rng.random(4000) < conf ** 2  # over-confident model
    # 5 classes: class 0 scores conf (the max, conf >= 0.2), the rest share 1 - conf
    probs = np.concatenate([conf[None], np.repeat((1 - conf)[None] / 4, 4, 0)])[None]
    labels = np.where(correct, 0, 1)[None]
    table = reliability_table(calibration_bins(probs, labels, n_bins=n_bins))
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(table, f)
    return table


def test_figure_shows_bins_diagonal_and_ece(tmp_path):
    tool = load_tool()
    table = write_table(str(tmp_path / 'reliability.json'))
    fig = tool.reliability_figure(table, title='demo')
    ax = fig.axes[0]
    nonempty = [i for i, c in enumerate(table['counts']) if c > 0]
    bars = ax.patches[:len(nonempty)]
    np.testing.assert_allclose([b.get_height() for b in bars],
                               [table['accuracy'][i] for i in nonempty])
    np.testing.assert_allclose([b.get_x() for b in bars],
                               [table['bin_edges'][i] for i in nonempty])
    gaps = ax.patches[len(nonempty):2 * len(nonempty)]
    np.testing.assert_allclose(
        [g.get_height() for g in gaps],
        [abs(table['accuracy'][i] - table['confidence'][i]) for i in nonempty])
    diagonal = ax.lines[0]
    np.testing.assert_allclose(diagonal.get_xydata(), [[0, 0], [1, 1]])
    assert f'ECE = {table["ece"] * 100:.2f}%' in ax.get_title()
    assert 'demo' in ax.get_title()


def test_cli_writes_png_beside_newest_json(tmp_path):
    from PIL import Image
    write_table(str(tmp_path / 'run' / '20240101_000000' / 'reliability.json'), 1)
    newest = write_table(
        str(tmp_path / 'run' / '20240102_000000' / 'reliability.json'), 2)
    old = os.path.getmtime(tmp_path / 'run' / '20240101_000000' / 'reliability.json')
    os.utime(tmp_path / 'run' / '20240101_000000' / 'reliability.json',
             (old - 100, old - 100))
    out = subprocess.run([sys.executable, TOOL, str(tmp_path / 'run')],
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    png = tmp_path / 'run' / '20240102_000000' / 'reliability.png'
    assert f'ECE {newest["ece"] * 100:.2f}%' in out.stdout and str(png) in out.stdout
    image = np.array(Image.open(png).convert('RGB'))
    assert image.shape == (600, 500, 3)
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 10  # not blank


def test_cli_errors_name_the_path(tmp_path):
    tool = load_tool()
    with pytest.raises(FileNotFoundError, match='no reliability.json below'):
        tool.main([str(tmp_path)])
    bad = tmp_path / 'reliability.json'
    bad.write_text('{"n_bins": 3}')
    with pytest.raises(ValueError, match='reliability.json: missing keys'):
        tool.main([str(bad)])
    empty = reliability_table(dict(counts=np.zeros(3, np.int64),
                                   conf_sums=np.zeros(3), correct_sums=np.zeros(3)))
    bad.write_text(json.dumps(empty))
    with pytest.raises(ValueError, match='no pixels'):
        tool.main([str(bad), '-o', str(tmp_path / 'x.png')])
