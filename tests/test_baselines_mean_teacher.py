"""Mean Teacher and CutMix-Seg against direct re-implementations of the CutMix-Seg
code (``train_seg_semisup_aug_mt.py`` / ``train_seg_semisup_mask_mt.py``,
``cons_loss_fn='var'``): teacher in training mode on the weak view, student on the
(CutMixed) strong view, teacher logits mixed by the same box, validity masks mixed,
confidence share over the batch, mean over all pixels."""
import pytest
import torch
import torch.nn.functional as F

from model_factory import make_semi_batch, with_cutmix_boxes
from semi_reference import (assert_same_gradients, baseline_model, box_of, copy_of,
                            gt_of, net, total)


def batch():
    return with_cutmix_boxes(*make_semi_batch(n_unsup=3))


def cutmix_seg_reference(student, teacher, inputs, samples, conf_thresh, mix,
                         conf_per_pixel=False):
    """The code's unsupervised branch (mask_mode='mix' or the aligned-view
    mean teacher), with unsup_batch1 = the batch rolled by one."""
    batch_x, batch_y = inputs['sup'], gt_of(samples['sup'])
    sup_loss = F.cross_entropy(net(student, batch_x), batch_y, ignore_index=255)
    valid = (torch.stack([s.gt_sem_seg.data[0] for s in samples['strong']]) == 0)
    batch_um0 = valid.float()[:, None]
    ux0_tea, ux0_stu = inputs['weak'], inputs['strong']
    with torch.no_grad():
        logits_u0_tea = net(teacher, ux0_tea).detach()
        if mix:
            logits_u1_tea = net(teacher, ux0_tea.roll(1, 0)).detach()
    if mix:
        masks = box_of(samples['strong'], ux0_stu.shape[-2:])[:, None]
        stu_mixed = ux0_stu * (1 - masks) + ux0_stu.roll(1, 0) * masks
        um_mixed = batch_um0 * (1 - masks) + batch_um0.roll(1, 0) * masks
        logits_cons_stu = net(student, stu_mixed)
        logits_cons_tea = logits_u0_tea * (1 - masks) + logits_u1_tea * masks
        loss_mask = um_mixed
    else:
        logits_cons_stu = net(student, ux0_stu)
        logits_cons_tea = logits_u0_tea
        loss_mask = batch_um0
    prob_cons_tea = F.softmax(logits_cons_tea, dim=1)
    prob_cons_stu = F.softmax(logits_cons_stu, dim=1)
    conf_mask = None
    if conf_thresh > 0.0:
        conf_tea = prob_cons_tea.max(dim=1)[0]
        conf_mask = (conf_tea >= conf_thresh).float()[:, None, :, :]
        loss_mask = loss_mask * (conf_mask if conf_per_pixel else conf_mask.mean())
    delta_prob = prob_cons_stu - prob_cons_tea
    consistency_loss = (delta_prob * delta_prob).sum(dim=1, keepdim=True)
    consistency_loss = (consistency_loss * loss_mask).mean()
    return dict(sup=sup_loss, cons=consistency_loss, conf_mask=conf_mask,
                conf=prob_cons_tea.max(dim=1)[0])


@pytest.mark.parametrize('segmentor,per_pixel', [('MeanTeacher', False),
                                                 ('CutMixSeg', False),
                                                 ('CutMixSeg', True)])
def test_loss_equals_the_authors_consistency(segmentor, per_pixel):
    mix = segmentor == 'CutMixSeg'
    inputs, samples = batch()
    probe = baseline_model(segmentor)
    conf = cutmix_seg_reference(copy_of(probe), copy_of(probe), inputs, samples,
                                0.0, mix)['conf']
    thresh = conf.flatten().median().item()
    model = baseline_model(segmentor, conf_thresh=thresh, conf_per_pixel=per_pixel)
    student = copy_of(model)
    teacher = copy_of(model)  # the EMA teacher right after init: the student
    losses = model.loss(inputs, samples)
    ref = cutmix_seg_reference(student, teacher, inputs, samples, thresh, mix,
                               per_pixel)
    share = ref['conf_mask'].mean()
    assert 0 < share < 1
    torch.testing.assert_close(losses['unsup.confident_ratio'], share)
    torch.testing.assert_close(losses['sup.decode.loss_ce'], ref['sup'])
    torch.testing.assert_close(losses['unsup.loss_u'], ref['cons'])
    assert_same_gradients(model, student, total(losses), ref['sup'] + ref['cons'])
    assert not any(p.grad is not None for p in model.ema_teacher.parameters())


def test_the_teacher_is_the_ema_and_runs_in_training_mode():
    inputs, samples = batch()
    model = baseline_model('MeanTeacher', conf_thresh=0.0)
    assert model.semi_train_cfg.teacher == 'ema'
    seen = []
    model.ema_teacher.backbone.register_forward_pre_hook(
        lambda m, args: seen.append((m.training, torch.is_grad_enabled())))
    with torch.no_grad():  # move the student away from its copy
        model.decode_head.conv_seg.bias.add_(1.0)
    model.loss(inputs, samples)
    assert seen == [(True, False)]
    with pytest.raises(ValueError, match=r'conf_thresh must be in \[0, 1\]'):
        baseline_model('MeanTeacher', conf_thresh=1.5)


def test_zero_threshold_weights_every_valid_pixel():
    inputs, samples = batch()
    model = baseline_model('MeanTeacher', conf_thresh=0.0)
    ref = cutmix_seg_reference(copy_of(model), copy_of(model), inputs, samples,
                               0.0, False)
    losses = model.loss(inputs, samples)
    torch.testing.assert_close(losses['unsup.loss_u'], ref['cons'])
    assert losses['unsup.confident_ratio'] == 1
