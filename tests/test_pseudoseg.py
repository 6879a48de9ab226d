"""PseudoSeg segmentor (docs/method.md §1-§4) on tiny real mmseg models and
preprocessed multi-branch batches (docs/batch_format.md)."""
import copy
import os.path as osp
import traceback

import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

from model_factory import (NUM_CLASSES, as_encoder_decoder, build,
                           deeplabv3plus_head, deeplabv3plus_r18, fcn_aux_head,
                           make_semi_batch, resnet_v1c, sgc_head)
from mmseg_pseudoseg.models import downsample_valid

SUP_KEYS = {'sup.decode.loss_ce', 'sup.decode.acc_seg', 'sup.aux.loss_ce',
            'sup.aux.acc_seg'}
SGC_KEYS = {'sgc.loss_sa', 'sgc.acc_sa', 'cls.loss_cls', 'cls.acc'}
UNSUP_KEYS = {'unsup.loss_u', 'unsup.pseudo_conf', 'unsup.valid_ratio',
              'unsup.confident_ratio'}
ALL_KEYS = SUP_KEYS | SGC_KEYS | UNSUP_KEYS


def make_model(seed=0, **kwargs):
    torch.manual_seed(seed)
    model = build(deeplabv3plus_r18(**kwargs))
    model.train()
    return model


def total_loss(losses):
    return sum(v for k, v in losses.items() if 'loss' in k)


def check_finite_losses(losses, expected_keys):
    assert set(losses) == expected_keys
    for key, value in losses.items():
        assert torch.is_tensor(value) and value.numel() == 1, key
        assert torch.isfinite(value), key
    for key in expected_keys:
        if 'loss' not in key:
            assert not losses[key].requires_grad, key


# ------------------------------------------------------------ one iteration

VARIANTS = [
    dict(),  # defaults: fusion, soft, rms, released background, hypercolumn
    dict(pseudo_labeler=dict(type='CalibratedFusion', source='decoder', hard=True,
                             norm='none')),
    dict(pseudo_labeler=dict(type='CalibratedFusion', source='sgc',
                             norm='pixel_l2', threshold=0.3)),
    dict(pseudo_labeler=dict(type='CalibratedFusion', gamma=0.3, temperature=0.7,
                             hard=True, norm='pixel_l2', threshold=0.5),
         sgc=sgc_head(background='paper', hypercolumn_in_index=(3, )),
         semi_train_cfg=dict(weak_mode='eval', valid_downsample='any',
                             unsup_weight=0.5)),
    dict(semi_train_cfg=dict(cam_pass='shared')),
]


@pytest.mark.parametrize('variant', range(len(VARIANTS)))
def test_one_iteration_deeplabv3plus_r18(variant):
    model = make_model(**VARIANTS[variant])
    inputs, samples = make_semi_batch()
    losses = model.loss(inputs, samples)
    check_finite_losses(losses, ALL_KEYS)
    total_loss(losses).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, f'{name} got no gradient'
        assert torch.isfinite(param.grad).all(), name


def test_one_iteration_deeplabv3plus_r50():
    cfg = deeplabv3plus_r18()
    cfg['backbone'] = resnet_v1c(depth=50, base_channels=8, stem_channels=8)
    cfg['decode_head'] = deeplabv3plus_head(in_channels=256, c1_in_channels=32)
    cfg['auxiliary_head'] = fcn_aux_head(in_channels=128)
    cfg['sgc_head'] = sgc_head(in_channels=(32, 64, 128, 256))
    torch.manual_seed(0)
    model = build(cfg)
    model.train()
    inputs, samples = make_semi_batch()
    losses = model.loss(inputs, samples)
    check_finite_losses(losses, ALL_KEYS)
    total_loss(losses).backward()


def record_backbone_calls(model, inputs):
    """Per backbone call: [branch, autograd on, BN in training mode, output has
    a graph]; the BN flag is read at the first BatchNorm of the backbone."""
    calls = []
    bn = next(m for m in model.backbone.modules()
              if isinstance(m, torch.nn.BatchNorm2d))

    def on_backbone(module, args):
        which = [k for k, v in inputs.items() if args[0] is v]
        calls.append([which[0], torch.is_grad_enabled(), None, None])

    def on_bn(module, args):
        calls[-1][2] = module.training

    def after_backbone(module, args, output):
        calls[-1][3] = output[-1].requires_grad

    model.backbone.register_forward_pre_hook(on_backbone)
    model.backbone.register_forward_hook(after_backbone)
    bn.register_forward_pre_hook(on_bn)
    return calls


# Released code (train_wss.py): labelled pass in training mode (lines 606-617 and
# 645-658 are two passes of the same crops; one pass serves both here), weak pass
# (training mode, lines 345-357), inference-mode pass for the CAM (lines 373-388),
# strong pass (lines 460-472); in image-level mode the classifier is trained on the
# weak view in one more training-mode pass (lines 306-342).
BACKBONE_CALLS = {
    ('eval', False): [('sup', True, True, True), ('weak', False, True, False),
                      ('weak', False, False, False), ('strong', True, True, True)],
    ('shared', False): [('sup', True, True, True), ('weak', False, True, False),
                        ('strong', True, True, True)],
    ('eval', True): [('sup', True, True, True), ('weak', False, True, False),
                     ('weak', False, False, False), ('strong', True, True, True),
                     ('weak', True, True, True)],
    ('shared', True): [('sup', True, True, True), ('weak', False, True, False),
                       ('strong', True, True, True), ('weak', True, True, True)],
}


@pytest.mark.parametrize('cam_pass,image_level', sorted(BACKBONE_CALLS))
def test_backbone_passes_and_their_bn_modes(cam_pass, image_level):
    model = make_model(semi_train_cfg=dict(cam_pass=cam_pass,
                                           use_image_labels=image_level))
    inputs, samples = make_semi_batch(image_labels=image_level)
    calls = record_backbone_calls(model, inputs)
    model.record_pseudo_labels(True)
    model.loss(inputs, samples)
    assert [tuple(c) for c in calls] == BACKBONE_CALLS[cam_pass, image_level]
    assert model.backbone.training  # modes restored
    for key in ('decoder_logits', 'sgc_logits', 'pseudo_label', 'strong_logits'):
        assert not model.recorded_pseudo_labels()[key].requires_grad


def test_cam_pass_eval_reads_the_inference_mode_features():
    """The classes, Grad-CAM and hypercolumn of the weak pass are those of the
    backbone in eval mode (running statistics), the decoder logits those of the
    training-mode pass."""
    model = make_model()
    inputs, samples = make_semi_batch(branches=('weak', 'strong'))
    seen = {}
    model.sgc_head.register_forward_pre_hook(
        lambda m, args: seen.update(stages=args[0]))
    bn = [m for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    stats = []

    def running_stats(module, args):  # at each backbone call
        stats.append([(b.running_mean.clone(), b.running_var.clone()) for b in bn])

    model.backbone.register_forward_pre_hook(running_stats)
    model.loss(inputs, samples)
    reference = copy.deepcopy(model).eval()
    for b, (mean, var) in zip([m for m in reference.backbone.modules()
                               if isinstance(m, torch.nn.BatchNorm2d)], stats[1]):
        b.running_mean.copy_(mean)
        b.running_var.copy_(var)
    with torch.no_grad():
        expected = reference.backbone(inputs['weak'])
    for got, want in zip(seen['stages'], expected):
        torch.testing.assert_close(got, want)


def test_weak_mode_eval_puts_weak_pass_in_eval_and_restores():
    model = make_model(semi_train_cfg=dict(weak_mode='eval'))
    inputs, samples = make_semi_batch()
    modes = {}

    def hook(module, args, output):
        branch = [k for k, v in inputs.items() if args[0] is v][0]
        modes[branch] = (module.training, model.decode_head.training)

    model.backbone.register_forward_hook(hook)
    model.loss(inputs, samples)
    assert modes == {'weak': (False, False), 'sup': (True, True),
                     'strong': (True, True)}
    assert model.backbone.training and model.decode_head.training


# --------------------------------------------------------- gradient isolation


def grads_of(loss, model):
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, [p for _, p in named], retain_graph=True,
                                allow_unused=True)
    return {n for (n, _), g in zip(named, grads) if g is not None and g.abs().sum() > 0}


def test_gradient_isolation():
    model = make_model()
    inputs, samples = make_semi_batch()
    losses = model.loss(inputs, samples)
    sgc_attention = {'sgc_head.key.weight', 'sgc_head.query.weight',
                     'sgc_head.out_conv.weight', 'sgc_head.out_bias'}
    classifier = {'sgc_head.classifier.weight', 'sgc_head.classifier.bias'}

    assert grads_of(losses['sgc.loss_sa'], model) == sgc_attention

    from_u = grads_of(losses['unsup.loss_u'], model)
    assert from_u and not any(n.startswith('sgc_head.') for n in from_u)
    assert any(n.startswith('backbone.') for n in from_u)
    assert any(n.startswith('decode_head.') for n in from_u)

    from_x = grads_of(losses['cls.loss_cls'], model)
    assert classifier <= from_x
    assert any(n.startswith('backbone.') for n in from_x)
    assert not from_x & sgc_attention
    assert not any(n.startswith(('decode_head.', 'auxiliary_head.')) for n in from_x)

    from_s = grads_of(losses['sup.decode.loss_ce'], model)
    assert not any(n.startswith('sgc_head.') for n in from_s)


# ------------------------------------------------- test-time path, checkpoint


def test_predict_equals_encoder_decoder_and_checkpoint_loads_strict(tmp_path):
    model = make_model()
    inputs, samples = make_semi_batch()
    total_loss(model.loss(inputs, samples)).backward()  # non-trivial BN stats
    state = {k: v for k, v in model.state_dict().items()
             if not k.startswith('sgc_head.')}
    path = tmp_path / 'pseudoseg_stripped.pth'
    torch.save({'state_dict': state}, path)
    loaded = torch.load(path, weights_only=True)['state_dict']
    stock = build(as_encoder_decoder(deeplabv3plus_r18()))
    stock.load_state_dict(loaded, strict=True)
    model.eval()
    stock.eval()
    test_inputs, test_samples = make_semi_batch(branches=('sup', ), seed=5)
    x = test_inputs['sup']
    with torch.no_grad():
        ours = model.predict(x, copy.deepcopy(test_samples['sup']))
        theirs = stock.predict(x, copy.deepcopy(test_samples['sup']))
        assert torch.equal(model._forward(x), stock._forward(x))
        assert torch.equal(model.encode_decode(x, [s.metainfo for s in
                                                   test_samples['sup']]),
                           stock.encode_decode(x, [s.metainfo for s in
                                                   test_samples['sup']]))
    for a, b in zip(ours, theirs):
        assert torch.equal(a.seg_logits.data, b.seg_logits.data)
        assert torch.equal(a.pred_sem_seg.data, b.pred_sem_seg.data)
    # every extra parameter/buffer lives under sgc_head.
    extra = set(model.state_dict()) - set(stock.state_dict())
    assert extra and all(k.startswith('sgc_head.') for k in extra)


def test_supervised_mode_trains_exactly_like_encoder_decoder():
    torch.manual_seed(0)
    stock = build(as_encoder_decoder(deeplabv3plus_r18()))
    ours = build(deeplabv3plus_r18())
    missing = ours.load_state_dict(stock.state_dict(), strict=False)
    assert all(k.startswith('sgc_head.') for k in missing.missing_keys)
    assert not missing.unexpected_keys
    wrappers = [OptimWrapper(torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9,
                                             weight_decay=1e-4)) for m in (stock, ours)]
    for step in range(2):
        results = []
        for model, wrapper in zip((stock, ours), wrappers):
            model.train()
            inputs, samples = make_semi_batch(branches=('sup', ), seed=step)
            torch.manual_seed(100 + step)  # same dropout masks
            results.append(model.train_step(
                dict(inputs=inputs['sup'], data_samples=samples['sup']), wrapper))
        assert results[0].keys() == results[1].keys()
        for key in results[0]:
            assert torch.equal(results[0][key], results[1][key]), key
    ours_params = dict(ours.named_parameters())
    for name, param in stock.named_parameters():
        assert torch.equal(param, ours_params[name]), name
    ours_buffers = dict(ours.named_buffers())
    for name, buf in stock.named_buffers():
        assert torch.equal(buf, ours_buffers[name]), name


# ------------------------------------------------ other heads and backbones


def test_psp_head_and_three_stage_resnet():
    cfg = deeplabv3plus_r18(with_aux=False)
    cfg['backbone'] = resnet_v1c(out_indices=(1, 2, 3))
    cfg['decode_head'] = dict(
        type='PSPHead', in_channels=64, in_index=2, channels=16,
        pool_scales=(1, 2, 4), dropout_ratio=0.1, num_classes=NUM_CLASSES,
        norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=True))
    cfg['sgc_head'] = sgc_head(in_channels=(16, 32, 64))  # hypercolumn -> (1, 2)
    torch.manual_seed(0)
    model = build(cfg)
    assert model.sgc_head.hypercolumn_in_index == (1, 2)
    model.train()
    model.record_pseudo_labels(True)
    inputs, samples = make_semi_batch()
    losses = model.loss(inputs, samples)
    check_finite_losses(losses, ALL_KEYS - {'sup.aux.loss_ce', 'sup.aux.acc_seg'})
    total_loss(losses).backward()
    # PSP logits are at stride 16: L_u works at that resolution
    assert model.recorded_pseudo_labels()['pseudo_label'].shape == (2, NUM_CLASSES, 4, 4)


def test_mobilenet_v2_with_stage_indices_and_fcn_head():
    cfg = deeplabv3plus_r18(with_aux=False)
    cfg['backbone'] = dict(type='MobileNetV2', widen_factor=0.5,
                           strides=(1, 2, 2, 2, 1, 1, 1),
                           dilations=(1, 1, 1, 1, 1, 2, 2), out_indices=(1, 2, 4, 6))
    cfg['decode_head'] = dict(
        type='FCNHead', in_channels=160, in_index=3, channels=16, num_convs=1,
        concat_input=False, dropout_ratio=0.1, num_classes=NUM_CLASSES,
        norm_cfg=dict(type='BN', requires_grad=True), align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=True))
    # stage 1 (stride 8) and 3 (stride 16) in the hypercolumn, CAM on stage 2
    cfg['sgc_head'] = sgc_head(in_channels=(16, 16, 48, 160), cam_in_index=2,
                               hypercolumn_in_index=(1, 3))
    torch.manual_seed(0)
    model = build(cfg)
    model.train()
    inputs, samples = make_semi_batch()
    losses = model.loss(inputs, samples)
    check_finite_losses(losses, ALL_KEYS - {'sup.aux.loss_ce', 'sup.aux.acc_seg'})
    total_loss(losses).backward()
    assert model.sgc_head.classifier.weight.grad is not None


def test_sgc_reads_backbone_outputs_not_the_neck():
    cfg = deeplabv3plus_r18(with_aux=False)
    cfg['neck'] = dict(type='FPN', in_channels=[8, 16, 32, 64], out_channels=16,
                       num_outs=4)
    cfg['decode_head'] = dict(
        type='FCNHead', in_channels=16, in_index=0, channels=8, num_convs=1,
        concat_input=False, num_classes=NUM_CLASSES,
        norm_cfg=dict(type='BN', requires_grad=True),
        loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=True))
    torch.manual_seed(0)
    model = build(cfg)  # sgc_head in_channels = backbone's (8, 16, 32, 64)
    model.train()
    inputs, samples = make_semi_batch()
    losses = model.loss(inputs, samples)
    check_finite_losses(losses, ALL_KEYS - {'sup.aux.loss_ce', 'sup.aux.acc_seg'})


# ------------------------------------------------------------- L_u details


@pytest.mark.parametrize('threshold,mode', [(0.0, 'nearest'), (0.4, 'nearest'),
                                            (0.0, 'any')])
def test_unsup_loss_over_valid_pixels(threshold, mode):
    model = make_model(
        pseudo_labeler=dict(type='CalibratedFusion', threshold=threshold),
        semi_train_cfg=dict(valid_downsample=mode))
    model.record_pseudo_labels(True)
    inputs, samples = make_semi_batch(branches=('weak', 'strong'))
    losses = model.loss(inputs, samples)
    assert 'sup.decode.loss_ce' not in losses and 'cls.loss_cls' not in losses
    stash = model.recorded_pseudo_labels()
    vmap = torch.stack([s.gt_sem_seg.data[0] for s in samples['strong']]) == 0
    valid = downsample_valid(vmap, (16, 16), mode)
    assert torch.equal(stash['valid_mask'], valid)
    assert valid.float().mean() < 1  # padding and CutOut removed some pixels
    keep = valid & (stash['confidence'] >= threshold)
    assert torch.equal(stash['loss_mask'], keep)
    if threshold > 0:
        assert keep.sum() < valid.sum()
    logp = torch.log_softmax(stash['strong_logits'], dim=1)
    per_pixel = -(stash['pseudo_label'] * logp).sum(1)
    expected = (per_pixel * keep).sum() / valid.sum()
    torch.testing.assert_close(losses['unsup.loss_u'].detach(), expected)
    torch.testing.assert_close(losses['unsup.valid_ratio'], valid.float().mean())
    assert stash['weak_samples'] is samples['weak']


def test_unsup_weight_scales_l_u():
    model = make_model()
    same = copy.deepcopy(model)  # the step moves BN statistics
    inputs, samples = make_semi_batch(branches=('weak', 'strong'))
    torch.manual_seed(3)
    full = model.loss(inputs, samples)['unsup.loss_u']
    same.set_unsup_weight(0.25)
    torch.manual_seed(3)
    quarter = same.loss(inputs, samples)
    torch.testing.assert_close(quarter['unsup.loss_u'], 0.25 * full)


def test_stash_only_when_asked():
    model = make_model()
    inputs, samples = make_semi_batch()
    model.loss(inputs, samples)
    assert model.recorded_pseudo_labels() is None
    model.record_pseudo_labels(True)
    model.loss(inputs, samples)
    stash = model.recorded_pseudo_labels()
    for key in ('decoder_logits', 'sgc_logits', 'pseudo_label', 'strong_logits'):
        assert stash[key].shape == (2, NUM_CLASSES, 16, 16), key
        assert not stash[key].requires_grad, key
    assert stash['valid_mask'].shape == (2, 16, 16)
    assert stash['valid_mask'].dtype == torch.bool
    torch.testing.assert_close(stash['pseudo_label'].sum(1), torch.ones(2, 16, 16))


def test_non_finite_weak_logits_raise_with_context():
    MessageHub.get_instance('test_pseudoseg_nan').update_info('iter', 42)
    model = make_model()
    inputs, samples = make_semi_batch()
    inputs['weak'][1, :, 5, 5] = float('nan')
    with pytest.raises(FloatingPointError) as err:
        model.loss(inputs, samples)
    msg = str(err.value)
    # the log counts iterations from 1: runner.iter 42 is "Iter [43/...]"
    assert msg.startswith('Non-finite loss at iteration 43: unsup.loss_u = nan;')
    assert 'weak: weak_000.jpg, weak_001.jpg' in msg


# --------------------------------------------------------- image-level mode


def test_image_level_mode_uses_given_labels_for_the_cam():
    model = make_model(semi_train_cfg=dict(use_image_labels=True))
    inputs, samples = make_semi_batch(branches=('weak', 'strong'), image_labels=True)
    seen = []
    model.sgc_head.register_forward_pre_hook(lambda m, args: seen.append(args[1]))
    losses = model.loss(inputs, samples)
    assert {'cls.loss_cls', 'cls.acc', 'unsup.loss_u'} <= set(losses)
    given = torch.stack([s.gt_image_labels for s in samples['strong']])
    assert len(seen) == 1 and torch.equal(seen[0], given)
    grads = grads_of(losses['cls.loss_cls'], model)
    assert 'sgc_head.classifier.weight' in grads
    assert any(n.startswith('backbone.') for n in grads)


@pytest.mark.parametrize('custom', [False, True])
def test_unlabelled_cam_classes_are_the_classifier_predictions(custom):
    """Without image-level labels the CAM classes are ``sigmoid(s_c) >=
    class_threshold`` (default 0.5) of the inference-mode pass that follows the
    training-mode weak pass (docs/method.md §2)."""
    inputs, samples = make_semi_batch(branches=('weak', 'strong'))
    probe = make_model()
    with torch.no_grad():
        probe.backbone(inputs['weak'])  # the weak pass moves the BN statistics
        probe.eval()
        probs = probe.sgc_head.classify(probe.backbone(inputs['weak']),
                                        dropout=False).sigmoid()
    threshold = probs.flatten().sort().values[3].item() if custom else 0.5
    model = make_model(semi_train_cfg=dict(class_threshold=threshold) if custom
                       else None)
    assert model.semi_train_cfg.class_threshold == threshold
    seen = []
    model.sgc_head.register_forward_pre_hook(lambda m, args: seen.append(args[1]))
    losses = model.loss(inputs, samples)
    assert not any(k.startswith('cls.') for k in losses)
    expected = (probs >= threshold).float()
    assert len(seen) == 1 and torch.equal(seen[0], expected)
    assert 0 < expected.sum() < expected.numel()  # the threshold decides something


def expected_loss_cls(model, inputs, samples, views):
    """L_x recomputed from training-mode backbone passes of the given views
    (BN with batch statistics, no classifier dropout in these models)."""
    model = copy.deepcopy(model)
    head, logits, labels = model.sgc_head, [], []
    for view in views:
        logits.append(head.classify(model.backbone(inputs[view])))
        if view == 'sup':
            gt = torch.stack([s.gt_sem_seg.data for s in samples['sup']])
            labels.append(head.labels_from_seg(gt, 255))
        else:
            labels.append(torch.stack([s.gt_image_labels for s in samples[view]]))
    return F.binary_cross_entropy_with_logits(torch.cat(logits), torch.cat(labels))


@pytest.mark.parametrize('image_level,views,expected_views', [
    (True, None, ('weak', )),              # released code: cls_with_cls=True
    (True, ('strong', 'sup'), ('sup', 'strong')),
    (False, None, ('sup', )),              # released code: unlabelled mode
])
def test_classifier_views(image_level, views, expected_views):
    cfg = dict(use_image_labels=image_level)
    if views is not None:
        cfg['classifier_views'] = views
    model = make_model(sgc=sgc_head(dropout_ratio=0.0), semi_train_cfg=cfg)
    assert model.semi_train_cfg.classifier_views == (views or expected_views)
    inputs, samples = make_semi_batch(image_labels=image_level)
    expected = expected_loss_cls(model, inputs, samples, expected_views)
    losses = model.loss(inputs, samples)
    torch.testing.assert_close(losses['cls.loss_cls'], expected)


def test_classifier_views_need_image_labels():
    with pytest.raises(ValueError, match=r"classifier_views=\('weak',\) needs image "
                                         'labels'):
        build(deeplabv3plus_r18(semi_train_cfg=dict(classifier_views=('weak', ))))
    with pytest.raises(ValueError, match='cam_pass must be one of'):
        build(deeplabv3plus_r18(semi_train_cfg=dict(cam_pass='train')))


def test_sgc_logits_upsampled_bilinear_align_corners_true():
    """train_wss.py lines 417-420: resize_bilinear(..., align_corners=True)."""
    model = make_model()
    inputs, samples = make_semi_batch()
    seen = {}
    model.sgc_head.register_forward_hook(lambda m, args, out: seen.update(sgc=out))
    model.pseudo_labeler.register_forward_pre_hook(
        lambda m, args: seen.update(fused_input=args[1]))
    model.loss(inputs, samples)
    size = seen['fused_input'].shape[-2:]
    assert tuple(seen['sgc'].shape[-2:]) != tuple(size)
    expected = F.interpolate(seen['sgc'], size=size, mode='bilinear',
                             align_corners=True)
    torch.testing.assert_close(seen['fused_input'], expected)
    other = F.interpolate(seen['sgc'], size=size, mode='bilinear',
                          align_corners=False)
    assert not torch.allclose(seen['fused_input'], other)


def test_non_finite_labelled_loss_raises_before_the_optimizer_step():
    MessageHub.get_instance('test_pseudoseg_sup_nan').update_info('iter', 6)
    model = make_model()
    inputs, samples = make_semi_batch()
    inputs['sup'][1, :, 3:5, 3:5] = float('nan')
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = {k: v.clone() for k, v in model.named_parameters()}
    with pytest.raises(FloatingPointError) as err:
        model.train_step(dict(inputs=inputs, data_samples=samples), wrapper)
    msg = str(err.value)
    assert msg.startswith('Non-finite loss at iteration 7: sup.decode.loss_ce = nan')
    assert 'images of the batch: sup: sup_000.jpg, sup_001.jpg; weak: ' in msg
    assert msg.splitlines()[-1].startswith('Check these images for NaN/Inf pixels')
    assert 'np.' not in msg
    for name, param in model.named_parameters():
        assert torch.equal(param, before[name]), name
        assert param.grad is None, name




# --------------------------------------------------------------- bad input


def test_class_count_mismatch_at_build():
    with pytest.raises(ValueError, match='sgc_head.num_classes=4 but '
                                         'decode_head.num_classes=5'):
        build(deeplabv3plus_r18(sgc=sgc_head(num_classes=4)))
    with pytest.raises(ValueError, match='pseudo_labeler.num_classes=3 but '
                                         'decode_head.num_classes=5'):
        build(deeplabv3plus_r18(
            pseudo_labeler=dict(type='CalibratedFusion', num_classes=3)))
    assert build(deeplabv3plus_r18()).sgc_head.num_classes == NUM_CLASSES


def test_stage_index_errors():
    with pytest.raises(ValueError, match='sgc_head.hypercolumn_in_index=4 is out of '
                                         'range: the backbone gives 4 stages'):
        build(deeplabv3plus_r18(sgc=sgc_head(hypercolumn_in_index=(3, 4))))
    with pytest.raises(ValueError, match='sgc_head.cam_in_index=6'):
        build(deeplabv3plus_r18(sgc=sgc_head(cam_in_index=6)))
    # in_channels lists 4 stages but the backbone gives 3
    cfg = deeplabv3plus_r18(with_aux=False)
    cfg['backbone'] = resnet_v1c(out_indices=(1, 2, 3))
    cfg['decode_head'] = deeplabv3plus_head(in_channels=64, c1_in_channels=16,
                                            in_index=2)
    model = build(cfg)
    inputs, samples = make_semi_batch()
    with pytest.raises(ValueError, match=r'lists 4 stages .* the backbone gives 3'):
        model.loss(inputs, samples)


def test_config_errors():
    with pytest.raises(ValueError, match="Unknown semi_train_cfg keys \\['lambda_u'\\]"):
        build(deeplabv3plus_r18(semi_train_cfg=dict(lambda_u=1.0)))
    with pytest.raises(ValueError, match='weak_mode'):
        build(deeplabv3plus_r18(semi_train_cfg=dict(weak_mode='test')))
    with pytest.raises(ValueError, match='semi_train_cfg.valid_downsample must be'):
        build(deeplabv3plus_r18(semi_train_cfg=dict(valid_downsample='max')))
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError,
                           match=rf'class_threshold must be in \(0, 1\], got {bad}'):
            build(deeplabv3plus_r18(semi_train_cfg=dict(class_threshold=bad)))
    cfg = deeplabv3plus_r18()
    cfg['sgc_head'] = None
    with pytest.raises(ValueError, match="no sgc_head is configured"):
        build(cfg)
    cfg['pseudo_labeler'] = dict(type='CalibratedFusion', source='decoder')
    model = build(cfg)  # decoder-only PseudoSeg without SGC works
    model.train()
    inputs, samples = make_semi_batch()
    losses = model.loss(inputs, samples)
    assert set(losses) == SUP_KEYS | UNSUP_KEYS




def test_sup_only_batch():
    model = make_model()
    inputs, samples = make_semi_batch(branches=('sup', ))
    losses = model.loss(inputs, samples)
    check_finite_losses(losses, SUP_KEYS | SGC_KEYS)


class HostReads(TorchDispatchMode):
    """Records the ops that make the host wait for the device (a value read:
    ``bool(t)``, ``t.item()``; ops with data-dependent output sizes), with the
    innermost project file that asked for them."""
    SYNC_OPS = ('aten._local_scalar_dense', 'aten.nonzero', 'aten._unique2',
                'aten.unique_dim', 'aten.masked_select')

    def __init__(self):
        super().__init__()
        self.origins = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if str(func).startswith(self.SYNC_OPS):
            frames = [f for f in traceback.extract_stack()
                      if '/mmseg_pseudoseg/' in f.filename or
                      '/mmseg/' in f.filename]
            self.origins.append(frames[-1].filename if frames else '?')
        return func(*args, **(kwargs or {}))


def test_value_checks_cost_one_host_sync_per_step():
    """The finite-loss check is the one value read of a step (docs/method.md:
    input is checked where it enters)."""
    model = make_model()
    inputs, samples = make_semi_batch()
    with HostReads() as reads:
        model.loss(inputs, samples)
    ours = [o for o in reads.origins if '/mmseg_pseudoseg/' in o]
    assert [osp.basename(o) for o in ours] == ['finite_loss_check.py'], reads.origins




# ------------------------------------------------------------ EMA teacher


def test_ema_teacher_is_a_submodule_saved_and_stripped_for_export(tmp_path):
    from mmseg_pseudoseg.models import TRAINING_ONLY_PREFIXES
    model = make_model(semi_train_cfg=dict(teacher='ema'))
    inputs, samples = make_semi_batch()
    with pytest.raises(RuntimeError, match='needs EMATeacherHook to initialise'):
        model.loss(inputs, samples)
    model.init_teacher(copy_student=True)  # what EMATeacherHook.before_train does
    total_loss(model.loss(inputs, samples)).backward()
    assert not any(p.requires_grad or p.grad is not None
                   for p in model.ema_teacher.parameters())
    state = model.state_dict()
    teacher_keys = [k for k in state if k.startswith('ema_teacher.')]
    assert 'ema_teacher.backbone.stem.0.weight' in teacher_keys
    path = tmp_path / 'pseudoseg_ema.pth'
    torch.save({'state_dict': state}, path)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(str(path)) == []
    loaded = torch.load(path, weights_only=True)['state_dict']
    stock = build(as_encoder_decoder(deeplabv3plus_r18()))
    stock.load_state_dict({k: v for k, v in loaded.items()
                           if not k.startswith(TRAINING_ONLY_PREFIXES)}, strict=True)
    assert TRAINING_ONLY_PREFIXES == ('sgc_head.', 'ema_teacher.')


def test_ema_teacher_copy_gives_the_students_pseudo_labels():
    student = make_model()
    ema = make_model(semi_train_cfg=dict(teacher='ema'))
    ema.init_teacher(copy_student=True)
    # no labelled pass before the weak pass: the BN statistics the inference-mode
    # CAM pass reads are the same in the student and its copy
    inputs, samples = make_semi_batch(branches=('weak', 'strong'))
    labels = []
    for model in (student, ema):
        model.record_pseudo_labels(True)
        torch.manual_seed(7)
        model.loss(inputs, samples)
        labels.append(model.recorded_pseudo_labels()['pseudo_label'])
    torch.testing.assert_close(labels[1], labels[0])


def test_ema_teacher_average():
    model = make_model(semi_train_cfg=dict(teacher='ema'))
    teacher = model.ema_teacher
    teacher.momentum_update(model, 1.0)
    first = {k: v.clone() for k, v in teacher.state_dict().items()}
    with torch.no_grad():
        model.backbone.stem[0].weight.add_(1.0)
        model.decode_head.conv_seg.bias.add_(2.0)
        model.backbone.stem[1].running_mean.fill_(3.0)
    teacher.momentum_update(model, 0.25)  # the student's share
    torch.testing.assert_close(teacher.backbone.stem[0].weight,
                               0.75 * first['backbone.stem.0.weight'] +
                               0.25 * model.backbone.stem[0].weight.detach())
    torch.testing.assert_close(teacher.decode_head.conv_seg.bias,
                               first['decode_head.conv_seg.bias'] + 0.5)
    torch.testing.assert_close(teacher.backbone.stem[1].running_mean,
                               torch.full_like(first['backbone.stem.1.running_mean'],
                                               3.0))
    with pytest.raises(ValueError, match="teacher must be one of"):
        build(deeplabv3plus_r18(semi_train_cfg=dict(teacher='mean')))
    with pytest.raises(ValueError,
                       match=r"Unknown semi_train_cfg keys \['ema_momentum'\]"):
        build(deeplabv3plus_r18(semi_train_cfg=dict(ema_momentum=0.9)))
