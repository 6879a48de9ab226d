"""``tools/export.py --onnx``: the ONNX graph, run by ONNX Runtime on the CPU, gives
the logits and labels of the exported PyTorch model (mmseg's ``inference_model`` on
the unpadded image) at two image sizes, for the headline DeepLabv3+ R101 recipe and
the SegFormer recipe (narrowed as in ``test_export.py``, random weights)."""
import json
import os.path as osp
import sys

import numpy as np
import onnxruntime
import pytest
from mmengine.config import Config

import mmseg_pseudoseg  # noqa: F401  (registration)
from mmseg.apis import inference_model, init_model
from synthetic_voc import VOC_PALETTE
from test_export import TINY_RESNET, random_checkpoint, run, tiny_config
from tiny_backbones import TINY_BACKBONES

RECIPES = {
    'r101': ('deeplabv3plus_r101_voc_1-16.py', TINY_RESNET),
    'segformer': ('segformer_mit-b2_voc_1-16.py',
                  TINY_BACKBONES['segformer_mit-b2_voc_1-16.py']),
    'swin': ('swin_t_upernet_voc_1-16.py',
             TINY_BACKBONES['swin_t_upernet_voc_1-16.py']),
}
SIZES = [(48, 64), (77, 93)]  # (H, W); neither is the traced 64 x 64


def export_onnx(tmp_path, voc_root, kind, extra=()):
    name, overrides = RECIPES[kind]
    config = tiny_config(tmp_path, name, overrides, voc_root)
    ckpt = str(tmp_path / 'train.pth')
    random_checkpoint(config, ckpt)
    out_dir = str(tmp_path / 'export')
    proc = run([sys.executable, 'tools/export.py', config, ckpt, out_dir, '--name',
                'm', '--onnx', '--onnx-size', '64', '64'] + list(extra))
    return proc, out_dir


@pytest.mark.parametrize('kind', [
    'r101', pytest.param('segformer', marks=pytest.mark.slow)])  # ~1.5 min each
def test_onnx_runtime_matches_the_pytorch_model(kind, voc_root, tmp_path):
    proc, out_dir = export_onnx(tmp_path, voc_root, kind, ['--argmax'])
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert f'wrote {osp.join(out_dir, "m.onnx")}' in proc.stdout
    session = onnxruntime.InferenceSession(osp.join(out_dir, 'm.onnx'),
                                           providers=['CPUExecutionProvider'])
    assert [i.name for i in session.get_inputs()] == ['image']
    assert [o.name for o in session.get_outputs()] == ['logits', 'labels']
    meta = session.get_modelmeta().custom_metadata_map
    assert json.loads(meta['classes']) == [f'c{i}' for i in range(21)]
    assert json.loads(meta['palette']) == VOC_PALETTE
    # the PyTorch reference: mmseg's inference on the unpadded image
    cfg = Config.fromfile(osp.join(out_dir, 'm.py'))
    cfg.model.data_preprocessor.test_cfg = None
    model = init_model(cfg, osp.join(out_dir, 'm.pth'), device='cpu')
    rng = np.random.default_rng(0)
    for h, w in SIZES:
        bgr = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
        want = inference_model(model, bgr)
        logits_pt = want.seg_logits.data.numpy()
        labels_pt = want.pred_sem_seg.data[0].numpy()
        rgb = np.ascontiguousarray(bgr[..., ::-1].transpose(2, 0, 1)[None], np.float32)
        logits, labels = session.run(None, {'image': rgb})
        assert logits.shape == (1, 21, h, w) and labels.shape == (1, h, w)
        relative = np.abs(logits[0] - logits_pt).max() / np.abs(logits_pt).max()
        assert relative <= 1e-4, (kind, (h, w), relative)
        assert (labels[0] == labels_pt).mean() >= 0.999
        np.testing.assert_array_equal(labels[0], logits[0].argmax(0))


@pytest.mark.slow  # ~1.5 min
def test_a_backbone_that_fixes_the_size_is_named(voc_root, tmp_path):
    """Swin pads to its window size with Python numbers: torch.export fixes the
    input size, so the tool stops and names the backbone and the work-arounds."""
    proc, out_dir = export_onnx(tmp_path, voc_root, 'swin')
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()
    assert last[-2] == (
        'OnnxExportError: SwinTransformer cannot be exported with a dynamic height '
        'and width: torch.export fixed the input to 64x64 (an operation of '
        'SwinTransformer turns the image size into a constant, e.g. the window '
        f'padding of Swin; {osp.join(out_dir, "m.onnx")} takes 64x64 only).')
    assert last[-1].startswith('Work-arounds: export at one fixed size (--static '
                               '--onnx-size H W)')
