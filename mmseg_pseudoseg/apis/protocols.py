"""Named evaluation protocols: the same checkpoint, the field's ways of testing it.

Semi-supervised segmentation papers report mIoU under different test protocols, and
the numbers are not comparable across them. ``paper`` is this project's default
(the released DeepLab evaluation, docs/method.md §5: the whole image, padded to the
eval crop, 513 on VOC and 641 on COCO, single scale, no flip); the others rewrite
only the test part of a config:

==============  ====================================================================
name            what runs
==============  ====================================================================
``paper``       whole image padded to the eval crop (``data_preprocessor.test_cfg``)
``whole``       whole image at its own size, no padding
``slide``       sliding window: crop = the eval crop, stride 2/3 of it (mmseg
                ``mode='slide'``), no padding of the whole image
``centre-crop`` only the central eval-crop window of image and mask is scored
``short-side``  image resized to short side 512 (mmseg's VOC/ADE test scale,
                long side at most 2048), prediction resized back to the mask
``flip``        ``paper`` + horizontal flip, softmax maps averaged (SegTTAModel)
``ms-flip``     ``flip`` at scales 0.5-1.75 (the runtime base's ``tta_pipeline``)
==============  ====================================================================

``centre-crop`` scores fewer pixels than the others (only the window), so its mIoU is
not a whole-image number.
"""
import copy

from mmengine.config import Config

__all__ = ['EVAL_PROTOCOLS', 'apply_eval_protocol', 'enable_tta']

EVAL_PROTOCOLS = ('paper', 'whole', 'slide', 'centre-crop', 'short-side', 'flip',
                  'ms-flip')
SHORT_SIDE = 512


def _eval_crop(cfg: Config):
    test_cfg = cfg.model.data_preprocessor.get('test_cfg') or {}
    size = test_cfg.get('size')
    if size is None:
        raise ValueError('the eval protocols need model.data_preprocessor.test_cfg.'
                         "size (the eval crop, e.g. (513, 513)); this config's is "
                         f'{test_cfg or None}.')
    return tuple(size)


def _set_test_pipeline(cfg: Config, pipeline: list) -> None:
    cfg.test_pipeline = pipeline
    cfg.test_dataloader.dataset.pipeline = copy.deepcopy(pipeline)


def _as_tta(cfg: Config, scales) -> None:
    """Wrap the model in mmseg's SegTTAModel over ``scales`` x {no flip, flip}."""
    cfg.tta_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='TestTimeAug', transforms=[
            [dict(type='Resize', scale_factor=s, keep_ratio=True) for s in scales],
            [dict(type='RandomFlip', prob=0.0, direction='horizontal'),
             dict(type='RandomFlip', prob=1.0, direction='horizontal')],
            [dict(type='LoadAnnotations')],
            [dict(type='PackSegInputs')]])]
    enable_tta(cfg)


def enable_tta(cfg: Config) -> None:
    """mmseg's ``--tta``: test loader runs ``tta_pipeline``, model = ``tta_model``
    around the config's model. Metrics that read ``seg_logits`` (ECE) are dropped:
    SegTTAModel keeps only the merged label map."""
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    tta_model = copy.deepcopy(cfg.get('tta_model') or dict(type='SegTTAModel'))
    tta_model['module'] = cfg.model
    # The Runner gives a model dict without one the config's top-level
    # `data_preprocessor`, and BaseTTAModel hands it to the module, replacing the
    # module's own (e.g. its eval crop): pass the module's own explicitly.
    tta_model['data_preprocessor'] = copy.deepcopy(cfg.model.data_preprocessor)
    cfg.model = tta_model
    metrics = cfg.test_evaluator
    if isinstance(metrics, (list, tuple)):
        kept = [m for m in metrics if m.get('type') != 'CalibrationMetric']
        cfg.test_evaluator = kept[0] if len(kept) == 1 else kept


def apply_eval_protocol(cfg: Config, name: str) -> Config:
    """Rewrite ``cfg``'s test model / pipeline for protocol ``name`` (in place).

    Raises ``ValueError`` naming the known protocols for an unknown ``name``.
    """
    if name not in EVAL_PROTOCOLS:
        raise ValueError(f'unknown eval protocol {name!r}; choose one of '
                         f'{", ".join(EVAL_PROTOCOLS)}.')
    if name == 'paper':
        return cfg
    crop = _eval_crop(cfg)
    if name == 'whole':
        cfg.model.data_preprocessor.test_cfg = None
    elif name == 'slide':
        cfg.model.test_cfg = dict(mode='slide', crop_size=crop,
                                  stride=tuple(2 * c // 3 for c in crop))
        cfg.model.data_preprocessor.test_cfg = None
    elif name == 'centre-crop':
        _set_test_pipeline(cfg, [
            dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='CenterCrop', crop_size=(crop[1], crop[0])),  # mmcv: (w, h)
            # the window is the image now: predictions stay at its size
            dict(type='KeyMapper', mapping=dict(ori_shape='img_shape'),
                 remapping=dict(ori_shape='ori_shape'), transforms=[]),
            dict(type='PackSegInputs')])
    elif name == 'short-side':
        # Only the image is resized: Resize sees no mask (KeyMapper hands it None),
        # so the mask is scored at its own size against the resized-back prediction.
        resize = dict(type='Resize', scale=(4 * SHORT_SIDE, SHORT_SIDE),
                      keep_ratio=True)
        _set_test_pipeline(cfg, [
            dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
            dict(type='KeyMapper', transforms=[resize],
                 mapping=dict(gt_seg_map='no_mask'),
                 remapping={k: k for k in ('img', 'img_shape', 'scale',
                                           'scale_factor', 'keep_ratio')}),
            dict(type='PackSegInputs')])
        cfg.model.data_preprocessor.test_cfg = None
    elif name == 'flip':
        _as_tta(cfg, [1.0])
    else:  # ms-flip
        enable_tta(cfg)
    return cfg
