"""EMATeacherHook with a real mmengine Runner: the EMA teacher is state of the run,
saved in the checkpoint and continued by ``--resume`` (resume = straight run)."""
import os.path as osp

import pytest
import torch

import mmseg_pseudoseg  # noqa: F401  (registration)
import mmseg_pseudoseg.datasets.voc_semi  # noqa: F401  (SemiVOCDataset)
from mmseg_pseudoseg.engine.hooks import EMATeacherHook
from test_pseudo_label_hook import semi_runner_cfg


def ema_cfg(voc_root, work_dir, name, max_iters, resume_from=None):
    """Tiny PseudoSeg with the EMA teacher, every dropout off (the runs must be
    bit-identical without an RNG-state hook), a checkpoint every 2 iterations."""
    cfg = semi_runner_cfg(voc_root, work_dir, dict(type='EMATeacherHook',
                                                   momentum=0.5))
    model = cfg['model']
    model['semi_train_cfg'] = dict(teacher='ema')
    model['decode_head']['dropout_ratio'] = 0.0
    model['sgc_head']['dropout_ratio'] = 0.0
    cfg['train_cfg']['max_iters'] = max_iters
    cfg['default_hooks']['checkpoint'] = dict(type='CheckpointHook', interval=2,
                                              by_epoch=False)
    cfg['visualizer']['name'] = name
    if resume_from is not None:
        cfg.update(load_from=resume_from, resume=True)
    return cfg


def train(cfg):
    from mmengine.config import Config
    from mmengine.runner import Runner
    runner = Runner.from_cfg(Config(cfg))
    runner.train()
    return runner


def test_resumed_teacher_equals_the_straight_run(voc_root, tmp_path):
    straight = train(ema_cfg(voc_root, str(tmp_path / 'straight'), 'ema_straight', 4))
    first = train(ema_cfg(voc_root, str(tmp_path / 'resumed'), 'ema_first', 2))
    ckpt = osp.join(first.work_dir, 'iter_2.pth')
    assert torch.serialization.get_unsafe_globals_in_checkpoint(ckpt) == []
    saved = torch.load(ckpt, weights_only=True)['state_dict']
    teacher = {k: v for k, v in saved.items() if k.startswith('ema_teacher.')}
    # the teacher in the checkpoint is the average, not a copy of the student
    key = 'ema_teacher.backbone.stem.0.weight'
    assert key in teacher
    assert not torch.equal(teacher[key], saved['backbone.stem.0.weight'])
    resumed = train(ema_cfg(voc_root, str(tmp_path / 'resumed'), 'ema_resumed', 4,
                            resume_from=ckpt))
    assert resumed.iter == 4
    ours, theirs = resumed.model.state_dict(), straight.model.state_dict()
    assert set(ours) == set(theirs)
    for name in ours:
        assert torch.equal(ours[name], theirs[name]), name


def test_hook_refuses_a_model_without_teacher(voc_root, tmp_path):
    cfg = semi_runner_cfg(voc_root, str(tmp_path), dict(type='EMATeacherHook'))
    cfg['visualizer']['name'] = 'ema_refuse'
    with pytest.raises(TypeError, match='PseudoSeg has none'):
        train(cfg)
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match=r'momentum must be in \(0, 0.5\] or 1, '
                                             f'got {bad}'):
            EMATeacherHook(momentum=bad)


def test_momentum_of_the_teachers_share_is_refused():
    """``momentum`` is the student's share, as MMDetection's MeanTeacherHook; a
    config that gives the teacher's share (0.99) is told what to write instead."""
    with pytest.raises(ValueError) as err:
        EMATeacherHook(momentum=0.99)
    assert str(err.value) == (
        "EMATeacherHook: momentum=0.99 is the student's share of each update "
        "(teacher ← (1−m)·teacher + m·student, as MMDetection's MeanTeacherHook), "
        "not the teacher's.\nFor a teacher that keeps 0.99 of itself per update "
        'set momentum=0.01.')
    assert EMATeacherHook(momentum=0.01).momentum == 0.01
    assert EMATeacherHook(momentum=1.0).momentum == 1.0
