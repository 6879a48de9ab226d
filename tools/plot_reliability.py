"""Plot a reliability diagram (PNG) from ``reliability.json``.

``CalibrationMetric`` writes ``reliability.json`` (per-bin pixel counts, confidence
sums and correct counts) into its ``output_dir`` or into the run's log directory
``work_dir/<timestamp>/`` after every evaluation. This tool draws it::

    python tools/plot_reliability.py work_dirs/my_run            # newest json inside
    python tools/plot_reliability.py path/to/reliability.json -o diagram.png

Top: accuracy per confidence bin (bars), the gap to the bin's mean confidence
(hatched), the diagonal of perfect calibration, ECE in the title. Bottom: the share
of pixels in each bin.
"""
import argparse
import glob
import os
import os.path as osp
import sys

import numpy as np

RELIABILITY_FILE = 'reliability.json'


def find_reliability_file(path: str) -> str:
    """``path`` itself if it is a file, else the newest ``reliability.json`` under it."""
    if osp.isfile(path):
        return path
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path}: no such file or directory')
    found = glob.glob(osp.join(path, '**', RELIABILITY_FILE), recursive=True)
    if not found:
        raise FileNotFoundError(
            f'{path}: no {RELIABILITY_FILE} below it; run an evaluation with '
            "dict(type='CalibrationMetric') in val_evaluator/test_evaluator first")
    return max(found, key=osp.getmtime)


def reliability_figure(table: dict, title: str = None):
    """The matplotlib figure of a loaded reliability table (two axes: diagram and
    pixel share per bin). The first ``nonempty`` bars of the diagram axis are the
    per-bin accuracies, the next ``nonempty`` the gaps to the mean confidence."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    n_bins = int(table['n_bins'])
    edges = np.asarray(table['bin_edges'], np.float64)
    counts = np.asarray(table['counts'], np.float64)
    total = counts.sum()
    if total == 0:
        raise ValueError('the reliability table has no pixels (all bins empty)')
    nonempty = counts > 0
    acc = np.zeros(n_bins)
    conf = np.zeros(n_bins)
    acc[nonempty] = np.asarray(table['correct_sums'], np.float64)[nonempty] / \
        counts[nonempty]
    conf[nonempty] = np.asarray(table['conf_sums'], np.float64)[nonempty] / \
        counts[nonempty]
    ece = float(np.abs(acc - conf)[nonempty] @ counts[nonempty] / total)
    lefts = edges[:-1]
    widths = np.diff(edges)

    fig, (ax, ax_count) = plt.subplots(
        2, 1, figsize=(5, 6), sharex=True, gridspec_kw=dict(height_ratios=[3, 1]))
    ax.bar(lefts[nonempty], acc[nonempty], width=widths[nonempty], align='edge',
           color='tab:blue', edgecolor='black', linewidth=0.5, label='accuracy')
    gap_low = np.minimum(acc, conf)
    ax.bar(lefts[nonempty], np.abs(conf - acc)[nonempty], bottom=gap_low[nonempty],
           width=widths[nonempty], align='edge', color='tab:red', alpha=0.3,
           edgecolor='tab:red', hatch='//', linewidth=0.5, label='gap to confidence')
    ax.plot([0, 1], [0, 1], '--', color='gray', label='perfect calibration')
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_ylabel('accuracy')
    ax.legend(loc='upper left', fontsize=8)
    heading = title or 'Reliability diagram'
    ax.set_title(f'{heading}\nECE = {ece * 100:.2f}% ({n_bins} bins, '
                 f'{int(total)} pixels)')
    ax_count.bar(lefts, counts / total, width=widths, align='edge', color='gray',
                 edgecolor='black', linewidth=0.5)
    ax_count.set_xlabel('confidence (max class probability)')
    ax_count.set_ylabel('pixel share')
    fig.tight_layout()
    return fig


def plot_reliability(table: dict, out_file: str, title: str = None) -> str:
    """Draw the diagram of a loaded reliability table into ``out_file`` (PNG)."""
    import matplotlib.pyplot as plt
    fig = reliability_figure(table, title)
    out_dir = osp.dirname(osp.abspath(out_file))
    os.makedirs(out_dir, exist_ok=True)
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return out_file


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('path', help='reliability.json, or a work dir to search')
    parser.add_argument('-o', '--out', default=None,
                        help='output PNG (default: reliability.png beside the json)')
    parser.add_argument('--title', default=None, help='title line above the ECE')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmseg_pseudoseg.evaluation.calibration import load_reliability
    json_file = find_reliability_file(args.path)
    table = load_reliability(json_file)
    out = args.out or osp.join(osp.dirname(json_file), 'reliability.png')
    plot_reliability(table, out, args.title)
    ece = table.get('ece')
    ece_text = f'ECE {ece * 100:.2f}%, ' if ece is not None else ''
    print(f'{json_file}: {ece_text}diagram written to {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
