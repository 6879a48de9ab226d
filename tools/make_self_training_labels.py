"""Offline pseudo labels of a supervised teacher: the self-training baseline (§4.4).

    python tools/make_self_training_labels.py CONFIG CHECKPOINT --out DIR \
        [--split LIST] [--threshold 0.5] [--device cuda] [--shard K/N]

Runs the teacher (CONFIG + CHECKPOINT, normally a ``*_supervised`` config and its
final checkpoint) on every image of ``--split`` (default: VOC's train_aug list,
``ImageSets/Segmentation/trainaug.txt``; COCO's ``ImageSets/train2017.txt``),
relative to the data root of the config's val dataset, single scale, no flip, and
writes ``DIR/<id>.png``: the argmax class, or 255 where the teacher's confidence (max
softmax probability) is below ``--threshold`` (the paper's 0.5). These are the
one-hot pseudo labels of the paper's self-training baseline; train on them with
``configs/pseudoseg/deeplabv3plus_r101_voc_1-16_self-training.py`` (its
``pseudo_label_dir``, relative to the data root, must be DIR).

``--shard K/N`` labels only the images with index ``i % N == K`` (run N processes,
e.g. one per GPU); ``--skip-existing`` resumes an interrupted run. A progress bar
(count, rate, ETA) runs while labelling; the last line counts the maps written and
the images skipped, with the reason.
"""
import argparse
import os
import os.path as osp
import sys


import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmengine.utils import track_iter_progress
from PIL import Image

import mmseg_pseudoseg  # noqa: F401  (registers our components)
from mmseg_pseudoseg.utils import load_tool_config, summary_line

DEFAULT_SPLITS = {'SemiVOCDataset': 'ImageSets/Segmentation/trainaug.txt',
                  'PascalVOCDataset': 'ImageSets/Segmentation/trainaug.txt',
                  'SemiCOCOObjectDataset': 'ImageSets/train2017.txt'}
META_KEYS = ('img_path', 'img_id', 'ori_shape', 'img_shape', 'pad_shape',
             'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label')
IGNORE = 255


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='teacher config')
    parser.add_argument('checkpoint', help='teacher checkpoint')
    parser.add_argument('--out', required=True, help='folder for the label PNGs')
    parser.add_argument('--split', help='image list, relative to the data root '
                        '(default: the train_aug / train2017 list)')
    parser.add_argument('--threshold', type=float, default=0.5,
                        help='confidence below which a pixel becomes 255')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available()
                        else 'cpu')
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument('--shard', default='0/1', help='K/N: this process labels '
                        'the images with index i %% N == K')
    parser.add_argument('--skip-existing', action='store_true',
                        help='keep label files that already exist')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    args = parser.parse_args(argv)
    if not 0.0 <= args.threshold <= 1.0:
        parser.error(f'--threshold must be in [0, 1], got {args.threshold}')
    try:
        k, n = (int(v) for v in args.shard.split('/'))
        assert 0 <= k < n
    except (ValueError, AssertionError):
        parser.error(f'--shard must be K/N with 0 <= K < N, got {args.shard!r}')
    args.shard = (k, n)
    return args


def image_dataset_cfg(cfg: Config, split: str = None) -> dict:
    """The config's val dataset (root, image folder, type) reading ``split``,
    images only."""
    val = cfg.val_dataloader.dataset
    kind = val.get('type')
    if split is None:
        if kind not in DEFAULT_SPLITS:
            raise ValueError(f'No default image list for dataset type {kind!r}; '
                             'pass --split')
        split = DEFAULT_SPLITS[kind]
    dataset = dict(type=kind, data_root=val.get('data_root'), ann_file=split,
                   with_masks=False, test_mode=True,
                   pipeline=[dict(type='LoadImageFromFile'),
                             dict(type='PackSegInputs', meta_keys=META_KEYS)])
    prefix = dict(val.get('data_prefix') or {})
    prefix.pop('seg_map_path', None)
    if prefix:  # else the dataset's default image folder
        dataset['data_prefix'] = prefix
    return dataset


def pseudo_label(logits: torch.Tensor, threshold: float) -> np.ndarray:
    """``(C, H, W)`` logits -> uint8 ``(H, W)``: argmax, 255 where the max softmax
    probability is below ``threshold``."""
    probs = logits.float().softmax(dim=0)
    conf, label = probs.max(dim=0)
    label[conf < threshold] = IGNORE
    return label.to(torch.uint8).cpu().numpy()


def main(argv=None) -> dict:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg = load_tool_config(args.config, cfg_options=args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    from mmseg.registry import DATASETS, MODELS

    num_classes = cfg.model.decode_head.num_classes
    if num_classes >= IGNORE:
        raise ValueError(f'{num_classes} classes do not fit 8-bit labels with '
                         f'ignore index {IGNORE}')
    dataset = DATASETS.build(image_dataset_cfg(cfg, args.split))
    model_cfg = cfg.model.copy()
    if model_cfg.get('backbone', {}).get('init_cfg') is not None:
        model_cfg.backbone.init_cfg = None  # weights come from the checkpoint
    model = MODELS.build(model_cfg)
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=False,
                    revise_keys=[(r'^module\.', '')])
    model.to(args.device).eval()

    k, n = args.shard
    indices = [i for i in range(len(dataset)) if i % n == k]
    existing = []
    if args.skip_existing:
        existing = [i for i in indices if osp.isfile(osp.join(
            args.out, dataset.get_data_info(i)['img_id'] + '.png'))]
        indices = sorted(set(indices) - set(existing))
    loader = torch.utils.data.DataLoader(
        torch.utils.data.Subset(dataset, indices), batch_size=1,
        num_workers=args.num_workers, collate_fn=pseudo_collate)
    os.makedirs(args.out, exist_ok=True)
    written, ignored, pixels = 0, 0, 0
    with torch.no_grad():
        for batch in track_iter_progress((loader, len(indices)),
                                         file=sys.stdout):
            for sample in model.test_step(batch):
                label = pseudo_label(sample.seg_logits.data, args.threshold)
                path = osp.join(args.out, sample.metainfo['img_id'] + '.png')
                os.makedirs(osp.dirname(path), exist_ok=True)
                Image.fromarray(label, mode='L').save(path)
                written += 1
                ignored += int((label == IGNORE).sum())
                pixels += label.size
    summary = dict(written=written, skipped_existing=len(existing),
                   ignored_fraction=ignored / max(pixels, 1), out=args.out)
    print(summary_line(
        'label maps', written, args.out,
        {'already there (--skip-existing)': len(existing)},
        f'{100 * summary["ignored_fraction"]:.1f}% of the pixels written are below '
        f'confidence {args.threshold} (255)'))
    return summary


if __name__ == '__main__':
    main()
