"""Tabulate finished training runs: final and best checkpoint side by side.

    python tools/summarize_runs.py WORK_DIR [WORK_DIR ...] [--out runs_summary]

Each WORK_DIR is an mmengine work dir (``--work-dir`` of ``tools/train.py``) or a
folder of them. One row per config: the final checkpoint's mIoU (the validation at
the last iteration), the best validation mIoU and its iteration, the final ECE
(when ``CalibrationMetric`` is evaluated), iterations and wall time; runs that
differ only in the labelled split's seed or the training seed share a row with
mean ± std. Prints the table (Markdown) and writes ``<out>.csv`` and ``<out>.md``;
then names the extra images each run skipped as unreadable, if any.
Report the final column: the best one is chosen on the validation set itself.
"""
import argparse

from run_summary import (find_runs, group_runs, markdown_table, read_run,
                         summary_rows, write_summary)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dirs', nargs='+', help='run work dirs or folders of them')
    parser.add_argument('--out', default='runs_summary',
                        help='path prefix of the CSV and Markdown files')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    runs = [read_run(path) for path in find_runs(args.work_dirs)]
    rows = summary_rows(group_runs(runs))
    print(markdown_table(rows))
    written = write_summary(rows, args.out)
    print(f'{len(runs)} run(s) in {len(rows)} row(s); written to ' +
          ' and '.join(written))
    for run in runs:
        if run['skipped_images']:
            print(f"{run['work_dir']}: {len(run['skipped_images'])} unreadable extra "
                  f"image(s) skipped: {', '.join(run['skipped_images'])}")
    return rows


if __name__ == '__main__':
    main()
