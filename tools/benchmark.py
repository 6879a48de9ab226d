"""Where PseudoSeg's time and memory go, as ratios measured in one process.

    python tools/benchmark.py [CONFIG] [--crop 321] [--labelled 2] [--extra 2]
                              [--repeats 5] [--json out.json] [--cfg-options ...]

Builds the config's model (random init: pretrained weights are never downloaded)
and one batch made by the config's own training pipelines from synthetic images,
then measures, interleaving the cases so that machine noise hits them alike:

- ``sup_step_s``: one supervised training step (labelled batch only, the stock
  EncoderDecoder loss); ``semi_step_s``: one PseudoSeg step (labelled + weak +
  strong) as configured; ``semi_shared_step_s``: the same step with
  ``semi_train_cfg.cam_pass='shared'``; ``fwd_nograd_s``: one weak pass (backbone +
  decode head, no autograd); ``ratio_semi_over_sup``; ``ratio_semi_over_bound``
  with bound = 2·sup_step_s + n·fwd_nograd_s, n the step's no-grad passes (2 with
  the default ``cam_pass='eval'``: the training-mode weak pass and the
  inference-mode CAM pass, docs/method.md §9; 1 with ``'shared'``), and
  ``ratio_semi_shared_over_bound`` (n = 1); target ≤ 1.05 for both: CAM,
  attention and fusion nearly free.
- ``peak_mem_sup_mb`` / ``peak_mem_semi_mb``: peak memory of a step above what is
  resident before it (weights, optimizer state): CUDA ``max_memory_allocated``, or
  on CPU peak RSS (``VmHWM``) after ``malloc_trim`` (target semi ≤ 2.2 × sup).
- ``ratio_infer_over_stock``: ``PseudoSeg.predict`` over the stock ``EncoderDecoder``
  that the export API makes of the same config, with the same (trained) weights and
  checked to give the same logits (target ≤ 1.02). Both run the same code
  (``predict`` is inherited): the two are timed back to back (A B, B A) in at least
  40 rounds and the ratio is that of each one's fastest run (the median of the
  per-round ratios is in the JSON, ``..._median_of_rounds``).
- ``ratio_strong_aug_over_stock``: the config's strong-view transforms (jitter +
  CutOut) over mmseg's ``PhotoMetricDistortion`` + ``RandomCutOut`` on a 513×513
  image (target ≤ 1.0): blocks of 50 calls with the same random draws on both
  sides, alternated, the ratio of each side's fastest block.

Times are medians over ``--repeats``; only ratios are comparable across machines.

``--pool N [N ...]`` measures something else: the time and memory to build the
train set over an extra pool of N ids, list file or folder scan, and to load its
first batch (``tools/pool_benchmark.py``; docs/benchmark.md, pool):

    python tools/benchmark.py --pool 10000 100000 1000000 [--pool-workers 2]
                              [--pool-dir /tmp] [--json out.json]
"""
import argparse
import copy
import json
import os
import os.path as osp
import platform
import statistics
import tempfile
import time

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.utils.dl_utils import set_multi_processing

import mmseg_pseudoseg  # noqa: F401
from mmseg_pseudoseg.utils import iter_config_dicts, load_tool_config
from mmseg.registry import MODELS, TRANSFORMS
from mmseg_pseudoseg.apis import stock_config, strip_training_only

DEFAULT_CONFIG = 'configs/pseudoseg/deeplabv3plus_r101_voc_1-16.py'
LOADERS = ('LoadImageFromFile', 'LoadAnnotations')
TARGETS = {'ratio_semi_over_bound': 1.05, 'ratio_semi_shared_over_bound': 1.05, 'ratio_infer_over_stock': 1.02,
           'ratio_strong_aug_over_stock': 1.0, 'peak_mem_semi_over_sup': 2.2}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='PseudoSeg speed/memory benchmark')
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    parser.add_argument('--crop', type=int, default=321)
    parser.add_argument('--labelled', type=int, default=2)
    parser.add_argument('--extra', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--aug-repeats', type=int, default=600)
    parser.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda'")
    parser.add_argument('--json', help='write the measured values here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--pool', type=int, nargs='+', metavar='N',
                        help='measure building the train set over extra pools of '
                             'N ids instead (tools/pool_benchmark.py)')
    parser.add_argument('--pool-workers', type=int, default=2,
                        help='dataloader workers for the first batch (--pool)')
    parser.add_argument('--pool-dir', help='where to write the pools (--pool); '
                                           'default: the temp folder')
    return parser.parse_args(argv)


def pool_main(args):
    """``--pool``: the rows of ``tools/pool_benchmark.py``, also in ``--json``."""
    from pool_benchmark import run_pool_benchmark  # beside this tool
    rows = run_pool_benchmark(args.pool, workers=args.pool_workers,
                              pool_dir=args.pool_dir)
    result = dict(machine=f'{platform.processor() or platform.machine()}, '
                          f'{os.cpu_count()} cpus', load_avg=os.getloadavg(),
                  pool=rows)
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return result


# --- config ------------------------------------------------------------------------

def load_cfg(path, crop, cfg_options=None):
    """The config as a plain dict, at crop ``crop``, without pretrained weights."""
    cfg = load_tool_config(path, cfg_options=cfg_options).to_dict()
    for node in iter_config_dicts(cfg):
        kind = node.get('type')
        if kind == 'RandomCrop':
            node['crop_size'] = (crop, crop)
        preprocessor = kind in ('SemiSegDataPreProcessor', 'SegDataPreProcessor')
        if preprocessor and node.get('size'):
            node['size'] = (crop, crop)
        if 'init_cfg' in node and isinstance(node['init_cfg'], dict) and \
                node['init_cfg'].get('type') == 'Pretrained':
            node['init_cfg'] = None
    cfg['model']['pretrained'] = None
    return cfg


def train_pipelines(cfg):
    """(labelled pipeline, extra pipeline or None) of the config's train dataset."""
    dataset = cfg['train_dataloader']['dataset']
    datasets = dataset.get('datasets', [dataset])
    pipelines = [d['pipeline'] for d in datasets]
    return pipelines[0], (pipelines[1] if len(pipelines) > 1 else None)


def stock_model(cfg, state):
    """The plain EncoderDecoder that ``tools/export.py`` makes of ``cfg``'s model,
    holding ``state`` (the test-time weights): the very tensors (``assign``), so
    that a model and its stock copy read the same memory and time alike."""
    with tempfile.TemporaryDirectory() as modules:  # module files it may copy
        stock_cfg, _ = stock_config(Config(cfg), out_dir=modules)
    stock = MODELS.build(stock_cfg.model)
    stock.load_state_dict(state, strict=True, assign=True)
    return stock


# --- data --------------------------------------------------------------------------

def synthetic_sample(rng, num_classes, height=375, width=500):
    """A VOC-sized image with a few labelled ellipses (uint8 BGR, uint8 labels)."""
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    label = np.zeros((height, width), np.uint8)
    yy, xx = np.mgrid[:height, :width]
    for cls in rng.integers(1, num_classes, size=3):
        cy, cx = rng.integers(0, height), rng.integers(0, width)
        mask = ((yy - cy) / (height / 4)) ** 2 + ((xx - cx) / (width / 4)) ** 2 <= 1
        label[mask] = cls
        image[mask] = image[mask] // 2 + np.uint8(int(cls) * 6)
    return image, label


def run_pipeline(pipeline, image, label, with_label, num_classes):
    steps = [t for t in pipeline if t['type'] not in LOADERS]
    # as the datasets fill a sample (CheckSegMap reads num_classes)
    results = dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2],
                   img_path='synthetic.jpg', seg_map_path=None, seg_fields=[],
                   reduce_zero_label=False, sample_idx=0, num_classes=num_classes)
    if with_label:
        results.update(gt_seg_map=label.copy(), seg_map_path='synthetic.png')
        results['seg_fields'].append('gt_seg_map')
    return Compose(steps)(results)


def make_batches(cfg, n_sup, n_extra, seed=0):
    """(semi batch, plain supervised batch) as the dataloader would collate them."""
    rng = np.random.default_rng(seed)
    num_classes = cfg['model']['decode_head']['num_classes']
    labelled, extra = train_pipelines(cfg)
    if extra is None:
        raise ValueError('the config has no extra dataset; benchmark a PseudoSeg '
                         'recipe (ConcatDataset[labelled, extra])')
    extra_has_labels = any(t['type'] == 'LoadAnnotations' for t in extra)
    samples = [run_pipeline(labelled, *synthetic_sample(rng, num_classes), True,
                            num_classes) for _ in range(n_sup)]
    samples += [run_pipeline(extra, *synthetic_sample(rng, num_classes),
                             extra_has_labels, num_classes) for _ in range(n_extra)]
    semi = pseudo_collate(samples)
    sup = dict(inputs=[s['inputs']['sup'] for s in samples[:n_sup]],
               data_samples=[s['data_samples']['sup'] for s in samples[:n_sup]])
    return semi, sup


# --- measurement -------------------------------------------------------------------

def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def _proc_status_mb(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f'{field} not in /proc/self/status')


def _release_free_heap():
    """Return memory the allocator keeps after frees to the OS (glibc)."""
    import ctypes
    import gc
    gc.collect()
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: peaks may be understated
        pass


def peak_memory_mb(fn, device):
    """Peak memory (MB) of one call of ``fn`` above what was resident before it.

    CUDA: ``max_memory_allocated`` minus ``memory_allocated`` before the call. CPU:
    peak RSS (``VmHWM``, reset through ``/proc/self/clear_refs``) minus the RSS
    before the call, after returning freed heap memory to the OS (``malloc_trim``)
    so that memory kept from earlier calls cannot hide this call's peak.
    """
    if device.type == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        fn()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    _release_free_heap()
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset VmHWM (peak RSS) to the current RSS
    base = _proc_status_mb('VmRSS')
    fn()
    return _proc_status_mb('VmHWM') - base


def timed(fn, device):
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def interleaved(cases, repeats, warmup, device):
    """Median seconds of each case, run round-robin ``repeats`` times."""
    for _ in range(warmup):
        for fn in cases.values():
            fn()
    times = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            times[name].append(timed(fn, device))
    return {name: statistics.median(values) for name, values in times.items()}


def paired_ratio(fn_a, fn_b, rounds, warmup, device):
    """``fn_a`` over ``fn_b`` timed back to back ``rounds`` times (B A in every other
    round): ``(min_a / min_b, median of the per-round ratios)``. Interference from
    the rest of the machine only adds time, so each side's fastest run is the
    estimate of its own cost; the median of per-round ratios is kept to show the
    noise the minimum removes."""
    for _ in range(warmup):
        fn_a(), fn_b()
    t_a, t_b = [], []
    for r in range(rounds):
        pairs = [(fn_a, t_a), (fn_b, t_b)]
        for fn, times in (pairs[::-1] if r % 2 else pairs):
            times.append(timed(fn, device))
    return min(t_a) / min(t_b), statistics.median(a / b for a, b in zip(t_a, t_b))


def same_logits(model, stock, test):
    """Refuse to time two models whose test-time outputs differ."""
    with torch.no_grad():
        ours, theirs = (m.predict(test['inputs'], copy.deepcopy(test['data_samples']))
                        for m in (model, stock))
    for a, b in zip(ours, theirs):
        if not torch.equal(a.seg_logits.data, b.seg_logits.data):
            raise RuntimeError('the stock model does not reproduce the segmentor\'s '
                               'test-time logits; the inference ratio would compare '
                               'two computations')


def strong_aug_ratio(extra_pipeline, repeats, seed=0, block=50):
    """Config's strong transforms vs PhotoMetricDistortion + RandomCutOut, 513².

    Both draw their operations at random (``np.random``), so one call's cost varies
    several-fold. Each side runs blocks of ``block`` calls that reseed
    ``np.random`` with ``seed``, so every block does the same work; the blocks
    alternate (``repeats // block`` rounds) and the ratio is that of each side's
    fastest block (:func:`paired_ratio`)."""
    multi_view = next(t for t in extra_pipeline if t['type'] == 'MultiView')
    ours = [t for t in multi_view['strong']
            if t['type'] not in ('PackSemiSegInputs', 'ImageLevelLabels')]
    cutout = next((t for t in ours if t['type'] == 'RandomCutOut'),
                  dict(type='RandomCutOut', prob=1.0, n_holes=1,
                       cutout_shape=(100, 100), seg_fill_in=255))
    stock = [dict(type='PhotoMetricDistortion'), copy.deepcopy(cutout)]
    ours_t = Compose([TRANSFORMS.build(t) for t in ours])
    stock_t = Compose([TRANSFORMS.build(t) for t in stock])
    image = np.random.default_rng(seed).integers(0, 256, (513, 513, 3), dtype=np.uint8)
    valid = np.zeros((513, 513), np.uint8)

    def case(transform):
        def fn():
            np.random.seed(seed)
            for _ in range(block):
                transform(dict(img=image.copy(), gt_valid_map=valid.copy(),
                               seg_fields=['gt_valid_map'], img_shape=(513, 513)))
        return fn
    ratio, _ = paired_ratio(case(ours_t), case(stock_t), max(1, repeats // block), 1,
                            torch.device('cpu'))
    return ratio, [t['type'] for t in ours]


def main(argv=None):
    args = parse_args(argv)
    if args.pool:
        return pool_main(args)
    init_default_scope('mmseg')
    torch.manual_seed(0)
    if args.device == 'auto':
        device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    else:
        device = torch.device(args.device)
    cfg = load_cfg(args.config, args.crop, args.cfg_options)
    # OpenCV threads as the Runner sets them for training (env_cfg.mp_cfg)
    set_multi_processing(**cfg.get('env_cfg', {}).get('mp_cfg', {}))
    semi_data, sup_data = make_batches(cfg, args.labelled, args.extra)

    model = MODELS.build(ConfigDict(cfg['model']))
    model.init_weights()
    model.to(device).train()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9))
    shared_cfg = copy.deepcopy(cfg['model'])
    shared_cfg.setdefault('semi_train_cfg', {})['cam_pass'] = 'shared'
    shared = MODELS.build(ConfigDict(shared_cfg)).to(device).train()
    shared.load_state_dict(model.state_dict(), strict=True)
    shared_optim = OptimWrapper(torch.optim.SGD(shared.parameters(), lr=1e-4,
                                                momentum=0.9))
    nograd_passes = 2 if model.semi_train_cfg.cam_pass == 'eval' else 1

    def sup_step():
        model.train_step(copy.copy(sup_data), optim)

    def semi_step():
        model.train_step(copy.copy(semi_data), optim)

    def semi_shared_step():
        shared.train_step(copy.copy(semi_data), shared_optim)

    weak = model.data_preprocessor(copy.copy(semi_data), True)['inputs']['weak']

    def weak_pass():
        with torch.no_grad():
            model.decode_head.forward(model.extract_feat(weak))

    steps = interleaved({'sup': sup_step, 'semi': semi_step,
                         'semi_shared': semi_shared_step, 'fwd': weak_pass},
                        args.repeats, args.warmup, device)
    del shared, shared_optim
    mem_sup = peak_memory_mb(sup_step, device)
    mem_semi = peak_memory_mb(semi_step, device)

    # inference: eval mode, one image at crop size, and the stock model made now
    # from the trained weights: built before the training steps above, it would
    # hold other weights and BN statistics, hence other activations (and their
    # cost), not the same computation
    model.eval()
    stock = stock_model(cfg, strip_training_only(model.state_dict())).to(device)
    stock.eval()
    test = model.data_preprocessor(dict(inputs=sup_data['inputs'][:1],
                                        data_samples=sup_data['data_samples'][:1]),
                                   False)

    def predict(m):
        def fn():
            with torch.no_grad():
                m.predict(test['inputs'], copy.deepcopy(test['data_samples']))
        return fn
    same_logits(model, stock, test)
    # identical computation (PseudoSeg inherits the test-time path): only the
    # measurement can tell them apart, so the two alternate and each one's fastest
    # run (the least disturbed by the machine) is compared
    infer_ratio, infer_ratio_median = paired_ratio(
        predict(model), predict(stock), max(8 * args.repeats, 40), 2, device)
    _, extra_pipeline = train_pipelines(cfg)
    aug_ratio, aug_ops = strong_aug_ratio(extra_pipeline, args.aug_repeats)

    bound = 2 * steps['sup'] + nograd_passes * steps['fwd']
    bound_shared = 2 * steps['sup'] + steps['fwd']
    result = dict(
        config=args.config, device=str(device),
        machine=(torch.cuda.get_device_name() if device.type == 'cuda'
                 else f'{platform.processor() or platform.machine()}, '
                      f'{torch.get_num_threads()} threads'),
        crop=args.crop, labelled=args.labelled, extra=args.extra, repeats=args.repeats,
        cam_pass=model.semi_train_cfg.cam_pass, nograd_passes=nograd_passes,
        sup_step_s=steps['sup'], semi_step_s=steps['semi'],
        semi_shared_step_s=steps['semi_shared'], fwd_nograd_s=steps['fwd'],
        ratio_semi_over_sup=steps['semi'] / steps['sup'],
        ratio_semi_over_bound=steps['semi'] / bound,
        ratio_semi_shared_over_bound=steps['semi_shared'] / bound_shared,
        peak_mem_sup_mb=mem_sup, peak_mem_semi_mb=mem_semi,
        peak_mem_semi_over_sup=mem_semi / mem_sup,
        ratio_infer_over_stock=infer_ratio,
        ratio_infer_over_stock_median_of_rounds=infer_ratio_median,
        ratio_strong_aug_over_stock=aug_ratio, strong_aug_ops=aug_ops)

    print(f"\nPseudoSeg benchmark: {args.config} on {result['machine']} ({device}), "
          f'crop {args.crop}, batch {args.labelled} + {args.extra}, '
          f'median of {args.repeats}')
    print('| measure | value | target |\n|---|---|---|')
    for key in ('sup_step_s', 'semi_step_s', 'semi_shared_step_s', 'fwd_nograd_s',
                'ratio_semi_over_sup', 'ratio_semi_over_bound',
                'ratio_semi_shared_over_bound', 'peak_mem_sup_mb', 'peak_mem_semi_mb',
                'peak_mem_semi_over_sup', 'ratio_infer_over_stock',
                'ratio_strong_aug_over_stock'):
        target = TARGETS.get(key)
        print(f'| {key} | {result[key]:.3f} | {"≤ %.2f" % target if target else ""} |')
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
