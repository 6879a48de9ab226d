"""The PseudoSeg step pinned: a fixed-seed tiny model, 3 SGD steps on one fixed
batch, every loss against the values this step gave before ``SemiBaseSegmentor``
existed (the refactor into base and method changed no operation and no order)."""
import pytest
import torch

from model_factory import build, deeplabv3plus_r18, make_semi_batch

# variant -> (model config overrides, image-level batch)
VARIANTS = {
    'default': (dict(), False),
    'image_level': (dict(semi_train_cfg=dict(use_image_labels=True)), True),
    'ema': (dict(semi_train_cfg=dict(teacher='ema')), False),
    'views_strong_sup': (dict(semi_train_cfg=dict(
        use_image_labels=True, classifier_views=('strong', 'sup'))), True),
    'no_sgc_decoder': (dict(pseudo_labeler=dict(type='CalibratedFusion',
                                                source='decoder')), False),
}
# loss -> its value at steps 0, 1, 2 (float32 values printed exactly)
PINNED = {
    'default': {
        'cls.loss_cls': (0.43849003314971924, 0.6553193926811218, 0.7670305967330933),
        'sgc.loss_sa': (1.83083176612854, 1.7649762630462646, 1.6649038791656494),
        'sup.aux.loss_ce': (0.740517795085907, 0.7371212244033813, 0.7210477590560913),
        'sup.decode.loss_ce': (
            1.8779470920562744, 1.7602434158325195, 1.70595121383667),
        'unsup.loss_u': (1.593090295791626, 1.571022629737854, 1.6046340465545654),
    },
    'image_level': {
        'cls.loss_cls': (0.7163386940956116, 0.6846753358840942, 0.653610110282898),
        'sgc.loss_sa': (1.83083176612854, 1.6955437660217285, 1.7388674020767212),
        'sup.aux.loss_ce': (0.740517795085907, 0.7387334704399109, 0.7282180190086365),
        'sup.decode.loss_ce': (
            1.8779470920562744, 1.7035739421844482, 1.707322597503662),
        'unsup.loss_u': (1.6860830783843994, 1.5949954986572266, 1.6294926404953003),
    },
    'ema': {
        'cls.loss_cls': (0.43849003314971924, 0.6544442176818848, 0.6736999154090881),
        'sgc.loss_sa': (1.83083176612854, 1.7052676677703857, 1.8255574703216553),
        'sup.aux.loss_ce': (0.740517795085907, 0.7409965991973877, 0.7131693363189697),
        'sup.decode.loss_ce': (
            1.8779470920562744, 1.7405903339385986, 1.7080931663513184),
        'unsup.loss_u': (1.5973758697509766, 1.6563491821289062, 1.6040120124816895),
    },
    'views_strong_sup': {
        'cls.loss_cls': (0.48510241508483887, 0.6551306247711182, 0.6678743362426758),
        'sgc.loss_sa': (1.83083176612854, 1.676445722579956, 1.7407009601593018),
        'sup.aux.loss_ce': (0.740517795085907, 0.741176187992096, 0.7302504777908325),
        'sup.decode.loss_ce': (
            1.8779470920562744, 1.6826692819595337, 1.687880516052246),
        'unsup.loss_u': (1.6399998664855957, 1.609339952468872, 1.5951653718948364),
    },
    'no_sgc_decoder': {
        'sup.aux.loss_ce': (0.740517795085907, 0.7404081225395203, 0.7201952338218689),
        'sup.decode.loss_ce': (
            1.8779470920562744, 1.754471778869629, 1.6803092956542969),
        'unsup.loss_u': (1.562705397605896, 1.5570448637008667, 1.564455270767212),
    },
}


def three_steps(name):
    """Every ``*loss*`` entry of 3 steps (SGD lr 0.01, momentum 0.9; an EMA
    teacher moved by 0.1 after each step), one thread."""
    overrides, image_labels = VARIANTS[name]
    torch.manual_seed(0)
    cfg = deeplabv3plus_r18(**overrides)
    if name == 'no_sgc_decoder':
        cfg['sgc_head'] = None
    model = build(cfg)
    model.train()
    ema = model.semi_train_cfg.teacher == 'ema'
    if ema:
        model.init_teacher(copy_student=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    inputs, samples = make_semi_batch(image_labels=image_labels)
    model.record_pseudo_labels(True)
    seen = {}
    for step in range(3):
        torch.manual_seed(100 + step)  # dropout masks
        losses = model.loss(inputs, samples)
        optimizer.zero_grad()
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        optimizer.step()
        if ema:
            model.update_teacher(0.1)
        for key, value in losses.items():
            if 'loss' in key:
                seen.setdefault(key, []).append(value.item())
    return seen


@pytest.mark.parametrize('name', sorted(VARIANTS))
def test_pseudoseg_losses_are_pinned(name):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        seen = three_steps(name)
    finally:
        torch.set_num_threads(threads)
    assert set(seen) == set(PINNED[name])
    for key, values in PINNED[name].items():
        torch.testing.assert_close(torch.tensor(seen[key], dtype=torch.float64),
                                   torch.tensor(values, dtype=torch.float64),
                                   rtol=1e-6, atol=0.0, msg=f'{name}: {key}')
