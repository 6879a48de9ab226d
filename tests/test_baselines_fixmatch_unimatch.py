"""FixMatch and UniMatch against direct re-implementations of UniMatch's code
(``fixmatch.py``, ``unimatch.py``): thresholded hard targets, CutMix of images,
targets, confidences and ignore masks with the partner images (the batch rolled
by one), the eval-mode pass of the partners, the joint labelled + weak pass, the
feature-perturbed decoder pass and the loss weights."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from model_factory import make_semi_batch, with_cutmix_boxes
from semi_reference import (assert_same_gradients, baseline_model, box_of, copy_of,
                            gt_of, ignore_mask, net, total)


def batch(strong2=False):
    return with_cutmix_boxes(*make_semi_batch(n_unsup=3), strong2=strong2)


def unimatch_reference(model, inputs, samples, conf_thresh, unimatch):
    """The step of UniMatch's fixmatch.py / unimatch.py, written as there, with
    ``img_u_*_mix`` = the batch rolled by one. Returns the loss terms."""
    img_x, mask_x = inputs['sup'], gt_of(samples['sup'])
    img_u_w = inputs['weak']
    ignore = ignore_mask(samples['strong'])
    views = ['strong', 'strong2'] if unimatch else ['strong']
    img_u_s = [inputs[v].clone() for v in views]
    boxes = [box_of(samples[v], img_u_w.shape[-2:]) for v in views]
    img_u_w_mix = img_u_w.roll(1, 0)
    img_u_s_mix = [inputs[v].roll(1, 0) for v in views]
    ignore_mix = ignore.roll(1, 0)
    with torch.no_grad():
        model.eval()
        pred_u_w_mix = net(model, img_u_w_mix).detach()
        conf_u_w_mix = pred_u_w_mix.softmax(dim=1).max(dim=1)[0]
        mask_u_w_mix = pred_u_w_mix.argmax(dim=1)
    for s, s_mix, box in zip(img_u_s, img_u_s_mix, boxes):
        s[box.unsqueeze(1).expand(s.shape) == 1] = \
            s_mix[box.unsqueeze(1).expand(s.shape) == 1]
    model.train()
    num_lb, num_ulb = len(img_x), len(img_u_w)
    x = torch.cat((img_x, img_u_w))
    if unimatch:  # DeepLabV3Plus(need_fp=True): one decoder pass over both
        feats = model.backbone(x)
        drop = nn.Dropout2d(0.5)
        outs = model.decode_head.forward(
            [torch.cat((f, drop(f))) for f in feats])  # reads c1 (0) and c4 (3)
        outs = F.interpolate(outs, size=x.shape[-2:], mode='bilinear',
                             align_corners=False)
        preds, preds_fp = outs.chunk(2)
        pred_u_w_fp = preds_fp[num_lb:]
    else:
        preds = net(model, x)
    pred_x, pred_u_w = preds.split([num_lb, num_ulb])
    pred_u_s = net(model, torch.cat(img_u_s)).chunk(len(views))
    pred_u_w = pred_u_w.detach()
    conf_u_w = pred_u_w.softmax(dim=1).max(dim=1)[0]
    mask_u_w = pred_u_w.argmax(dim=1)
    loss_x = F.cross_entropy(pred_x, mask_x, ignore_index=255)
    terms = dict(loss_x=loss_x)
    for k, (pred, box) in enumerate(zip(pred_u_s, boxes)):
        mask_c, conf_c, ignore_c = mask_u_w.clone(), conf_u_w.clone(), ignore.clone()
        mask_c[box == 1] = mask_u_w_mix[box == 1]
        conf_c[box == 1] = conf_u_w_mix[box == 1]
        ignore_c[box == 1] = ignore_mix[box == 1]
        loss = F.cross_entropy(pred, mask_c, reduction='none')
        loss = loss * ((conf_c >= conf_thresh) & (ignore_c != 255))
        terms[f'loss_s{k + 1}'] = loss.sum() / (ignore_c != 255).sum().item()
        terms[f'kept_s{k + 1}'] = ((conf_c >= conf_thresh) & (ignore_c != 255))
    if unimatch:
        loss = F.cross_entropy(pred_u_w_fp, mask_u_w, reduction='none')
        loss = loss * ((conf_u_w >= conf_thresh) & (ignore != 255))
        terms['loss_fp'] = loss.sum() / (ignore != 255).sum().item()
        terms['loss'] = (loss_x + terms['loss_s1'] * 0.25 + terms['loss_s2'] * 0.25 +
                         terms['loss_fp'] * 0.5) / 2.0
    else:
        terms['loss'] = (loss_x + terms['loss_s1']) / 2.0
    terms['conf_u_w'] = conf_u_w
    return terms


@pytest.mark.parametrize('segmentor', ['FixMatch', 'UniMatch'])
def test_loss_equals_the_authors_step(segmentor):
    unimatch = segmentor == 'UniMatch'
    inputs, samples = batch(strong2=unimatch)
    probe = baseline_model(segmentor)
    torch.manual_seed(5)
    conf = unimatch_reference(probe, inputs, samples, 0.0, unimatch)['conf_u_w']
    thresh = conf.flatten().median().item()  # a threshold that decides something
    model = baseline_model(segmentor, conf_thresh=thresh)
    assert model.semi_train_cfg.conf_thresh == thresh
    ref = copy_of(model)
    torch.manual_seed(5)  # the same Dropout2d masks in both
    losses = model.loss(inputs, samples)
    torch.manual_seed(5)
    terms = unimatch_reference(ref, inputs, samples, thresh, unimatch)
    kept = terms['kept_s1'].float().mean()
    assert 0 < kept < 1
    torch.testing.assert_close(losses['sup.decode.loss_ce'], terms['loss_x'] / 2)
    if unimatch:
        assert {k for k in losses if k.startswith('unsup.loss')} == {
            'unsup.loss_s1', 'unsup.loss_s2', 'unsup.loss_fp'}
        torch.testing.assert_close(losses['unsup.loss_s1'], terms['loss_s1'] / 8)
        torch.testing.assert_close(losses['unsup.loss_s2'], terms['loss_s2'] / 8)
        torch.testing.assert_close(losses['unsup.loss_fp'], terms['loss_fp'] / 4)
    else:
        torch.testing.assert_close(losses['unsup.loss_u'], terms['loss_s1'] / 2)
    torch.testing.assert_close(total(losses), terms['loss'])
    assert_same_gradients(model, ref, total(losses), terms['loss'])


def test_partner_labels_come_from_an_eval_mode_pass():
    """The box's target is the partner's prediction with BN running statistics;
    the weak view's own target comes from the training-mode joint pass."""
    inputs, samples = batch()
    model = baseline_model('FixMatch', conf_thresh=0.0)
    modes = []
    model.backbone.register_forward_pre_hook(
        lambda m, args: modes.append((len(args[0]), m.training,
                                      torch.is_grad_enabled())))
    model.loss(inputs, samples)
    # eval pass of the 3 partners, joint pass of 2 labelled + 3 weak, strong pass
    assert modes == [(3, False, False), (5, True, True), (3, True, True)]
    assert model.backbone.training


def test_unlabelled_weight_and_sup_only_batch():
    inputs, samples = batch()
    model = baseline_model('FixMatch', conf_thresh=0.0)
    half = copy_of(model)
    half.set_unsup_weight(0.5)
    full = model.loss(inputs, samples)
    torch.testing.assert_close(half.loss(inputs, samples)['unsup.loss_u'],
                               0.5 * full['unsup.loss_u'])
    sup_only = model.loss({'sup': inputs['sup']}, {'sup': samples['sup']})
    assert set(sup_only) == {'sup.decode.loss_ce', 'sup.decode.acc_seg'}


def test_a_strong_view_without_a_box_is_an_error():
    inputs, samples = make_semi_batch()
    model = baseline_model('FixMatch')
    with pytest.raises(KeyError, match="strong_000.jpg has no 'cutmix_box'"):
        model.loss(inputs, samples)
    with pytest.raises(ValueError, match=r"teacher must be one of \('student',\)"):
        baseline_model('FixMatch', teacher='ema')


@pytest.mark.parametrize('value', [-0.1, 1.5])
def test_fixmatch_refuses_a_threshold_outside_0_1(value):
    from mmseg_pseudoseg.models.segmentors.fixmatch import FixMatchSettings
    assert FixMatchSettings.from_cfg(None).conf_thresh == 0.95
    with pytest.raises(ValueError, match=r'conf_thresh must be in \[0, 1\], got'):
        FixMatchSettings.from_cfg(dict(conf_thresh=value))
