"""The bar chart of ``tools/demo.py --compare``: final mIoU per method, mean ± std
over the split draws (error bars: sample std, n - 1), one dot per draw."""
import statistics
from typing import List, Sequence, Tuple

__all__ = ['bar_chart']


def bar_chart(methods: Sequence[Tuple[str, List[float]]], path: str,
              title: str = 'final mIoU on the demo set') -> str:
    """Write ``path`` (PNG): one bar per ``(label, final mIoU of each draw)``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    labels = [label for label, _ in methods]
    means = [statistics.mean(v) for _, v in methods]
    stds = [statistics.stdev(v) if len(v) > 1 else 0.0 for _, v in methods]
    fig, ax = plt.subplots(figsize=(1.3 * len(methods) + 2, 4.2), dpi=120)
    xs = range(len(methods))
    ax.bar(xs, means, yerr=stds, capsize=4, color='#7aa6c2', edgecolor='#2b4a5e')
    for x, (_, values) in zip(xs, methods):
        ax.plot([x] * len(values), values, 'o', color='#1d1d1d', markersize=3)
    for x, mean, std in zip(xs, means, stds):
        ax.annotate(f'{mean:.1f}', (x, mean + std), ha='center', va='bottom',
                    xytext=(0, 3), textcoords='offset points', fontsize=8)
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, rotation=30, ha='right', fontsize=8)
    ax.set_ylabel('mIoU (%)')
    n = max(len(v) for _, v in methods)
    ax.set_title(f'{title} (mean ± std over {n} draw{"s" if n > 1 else ""})',
                 fontsize=9)
    ax.set_ylim(0, max(m + s for m, s in zip(means, stds)) * 1.15)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
