"""``tools/browse_views.py``: one picture per training sample, from the config's real
pipelines (image-level demo recipe on the synthetic VOC tree)."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg_pseudoseg.visualization import colorize
from tool_module import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'pseudoseg', 'demo',
                  'demo_pseudoseg_1-16_imglabels.py')


@pytest.fixture
def options(voc_root):
    return {'train_dataloader.dataset.datasets.0.data_root': voc_root,
            'train_dataloader.dataset.datasets.0.ann_file':
                'ImageSets/Segmentation/train.txt',
            'train_dataloader.dataset.datasets.1.data_root': voc_root}


def test_cli_writes_one_picture_per_sample_with_progress(options, tmp_path):
    out = tmp_path / 'views'
    opts = ['--cfg-options'] + [f'{k}={v}' for k, v in options.items()]
    proc = subprocess.run(
        [sys.executable, 'tools/browse_views.py', CONFIG, '--out', str(out), '-n', '3',
         '--zoom', '1'] + opts, cwd=REPO, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert '3/3' in proc.stdout and 'wrote 3 picture(s)' in proc.stdout
    assert sorted(os.listdir(out)) == [f'sample_{k:03d}.png' for k in range(3)]
    # five 64x64 panels (crop, mask, weak, strong, validity), 90 px wide cells
    picture = Image.open(out / 'sample_000.png')
    assert picture.size[0] == 5 * 90 and picture.size[1] > 64 + 14


def test_panels_are_the_pipeline_outputs(options):
    tool = load_tool('browse_views.py', 'browse_views_tool')
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(options)
    init_default_scope('mmseg')
    from mmseg.registry import DATASETS
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    classes, palette = dataset.metainfo['classes'], dataset.metainfo['palette']
    labelled, extra = tool.members(dataset)
    found_box = found_tags = False
    for k in range(6):
        group = {**tool.views(labelled[k]), **tool.views(extra[k])}
        assert sorted(group) == ['strong', 'sup', 'weak']
        panels, lines, shown = tool.sample_panels(group, classes, palette)
        titles = [t for t, _ in panels]
        assert titles == ['labelled crop', 'its mask', 'weak view', 'strong view',
                          'validity map']
        named = dict(panels)
        image, sample = group['sup']
        mask = sample.gt_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(named['labelled crop'],
                                      image.permute(1, 2, 0).numpy()[..., ::-1])
        np.testing.assert_array_equal(named['its mask'], colorize(mask, palette))
        assert shown == set(np.unique(mask).tolist())
        _, strong = group['strong']
        valid = strong.gt_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(named['validity map'][..., 0],
                                      np.where(valid == 255, 0, 255))
        ys, xs = np.nonzero(valid == 255)
        if len(ys):  # the box outline is drawn exactly around the excluded pixels
            found_box = True
            y1, y2, x1, x2 = ys.min(), ys.max(), xs.min(), xs.max()
            box = named['strong view']
            assert box[y1, x1].tolist() == list(tool.BOX_COLOUR)
            assert box[y2, x2].tolist() == list(tool.BOX_COLOUR)
            assert f'rows {y1}-{y2}, columns {x1}-{x2}' in lines[2]
        else:
            assert lines[2] == 'CutOut box: in the padding (none on the image)'
        tags = [classes[c + 1] for c in
                np.nonzero(strong.gt_image_labels.numpy())[0].tolist()]
        assert lines[3] == 'image tags: ' + (', '.join(tags) or '(none)')
        found_tags |= bool(tags)
    assert found_box and found_tags
