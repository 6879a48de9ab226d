"""``tools/torchserve/mmseg_pseudoseg_handler.py`` called in-process as TorchServe
calls it: ``initialize(context)`` on the unpacked archive, ``handle(data, context)``
with image bytes; each reply is the PNG mask of mmseg's own inference."""
import io
import os.path as osp
import shutil
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from mmseg.apis import inference_model, init_model
from synthetic_voc import VOC_PALETTE
from test_export import TINY_RESNET, random_checkpoint, run, tiny_config, val_images
from tool_module import load_tool


def test_handler_returns_png_masks_of_the_exported_model(voc_root, tmp_path):
    config = tiny_config(tmp_path, 'deeplabv3plus_r101_voc_1-16.py', TINY_RESNET,
                         voc_root)
    ckpt = str(tmp_path / 'train.pth')
    random_checkpoint(config, ckpt)
    out_dir = tmp_path / 'export'
    proc = run([sys.executable, 'tools/export.py', config, ckpt, str(out_dir),
                '--name', 'm'])
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    model_dir = tmp_path / 'unpacked'  # what torchserve extracts from the .mar
    model_dir.mkdir()
    for name in ('m.pth', 'm.py'):
        shutil.copyfile(out_dir / name, model_dir / name)
    tool = load_tool('torchserve/mmseg_pseudoseg_handler.py', 'pseudoseg_handler')
    context = SimpleNamespace(system_properties=dict(model_dir=str(model_dir),
                                                     gpu_id=None),
                              manifest=dict(model=dict(serializedFile='m.pth')))
    handler = tool.MMSegPseudoSegHandler()
    handler.initialize(context)
    images = val_images(voc_root, 2)
    data = [{'body': open(images[0], 'rb').read()},
            {'data': bytearray(open(images[1], 'rb').read())}]
    replies = handler.handle(data, context)
    model = init_model(str(out_dir / 'm.py'), str(out_dir / 'm.pth'), device='cpu')
    assert len(replies) == 2
    for reply, image in zip(replies, images):
        mask = Image.open(io.BytesIO(reply))
        assert mask.format == 'PNG' and mask.mode == 'P'
        want = inference_model(model, image).pred_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(np.asarray(mask), want)
        assert mask.getpalette()[:63] == sum(VOC_PALETTE, [])
    with pytest.raises(ValueError, match='not a decodable image'):
        handler.handle([{'body': b'no image'}], context)
    (model_dir / 'm.py').unlink()
    with pytest.raises(FileNotFoundError, match=f'exported config not found: '
                       f'{osp.join(str(model_dir), "m.py")}'):
        tool.MMSegPseudoSegHandler().initialize(context)
