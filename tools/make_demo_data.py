#!/usr/bin/env python
"""Build the embedded demo dataset: a small VOC-format set made of real images.

    python tools/make_demo_data.py data/demo_voc [--seed 0] [--scale 1.0]

The scenes (real pictures bundled with scikit-image, composed into 96x128 images
of ten VOC classes) are drawn by ``tools/demo_scenes.py``; the tree,
its split lists and ``demo_meta.json`` are written by
``demo_set.make_demo_data`` (``tools/demo_set.py``, layout in its docstring). The
same ``--seed`` writes identical bytes, whatever ``--workers``; ``--scale < 1``
writes a subset of the full set.
"""
import argparse
import sys
import time

from demo_set import DEFAULT_SIZES, make_demo_data


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('out_root', help='folder to write the VOC-format tree into')
    p.add_argument('--seed', type=int, default=0,
                   help='data seed; the same seed writes identical files')
    p.add_argument('--scale', type=float, default=1.0,
                   help='fraction of the default sizes (train %(train)d, val '
                   '%(val)d, extra %(extra)d) to write, e.g. 0.05 for tests'
                   % DEFAULT_SIZES)
    p.add_argument('--workers', type=int, default=2,
                   help='processes used to render (default 2)')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    t0 = time.time()
    m = make_demo_data(args.out_root, args.seed, args.scale, args.workers)
    print(f'wrote {args.out_root}: ' + ', '.join(
        f'{k} {v}' for k, v in m['counts'].items() if '_seed' not in k or
        k.endswith('seed1')) + f' ({time.time() - t0:.1f} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
