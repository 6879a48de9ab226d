"""TorchServe handler for an exported model: image bytes in, PNG mask out.

Archive the pair written by ``tools/export.py`` (plain mmseg, no plugin needed)::

    torch-model-archiver --model-name pseudoseg --version 1.0 \\
        --serialized-file OUT_DIR/NAME.pth --extra-files OUT_DIR/NAME.py \\
        --handler tools/torchserve/mmseg_pseudoseg_handler.py --export-path model_store
    torchserve --start --model-store model_store --models pseudoseg=pseudoseg.mar
    curl -T image.jpg http://127.0.0.1:8080/predictions/pseudoseg -o mask.png

Each request body is an encoded image (any format OpenCV reads); each response is
a palette PNG whose pixel values are the class ids, coloured with the classes'
palette (the checkpoint's ``meta.dataset_meta``). The handler follows TorchServe's
custom-handler contract (``initialize(context)``, ``handle(data, context)``) and
imports only mmseg, mmcv, numpy and PIL, so it also runs without TorchServe.
"""
import io
import os.path as osp

import mmcv
import numpy as np
from PIL import Image

__all__ = ['MMSegPseudoSegHandler']


class MMSegPseudoSegHandler:
    """Loads the archived ``NAME.pth`` + ``NAME.py`` with mmseg's
    ``init_model``; predicts with ``inference_model`` (the config's
    ``test_pipeline``)."""

    def __init__(self):
        self.model = None

    def initialize(self, context) -> None:
        from mmseg.apis import init_model
        props = context.system_properties
        model_dir = props['model_dir']
        checkpoint = osp.join(model_dir, context.manifest['model']['serializedFile'])
        config = osp.splitext(checkpoint)[0] + '.py'  # NAME.pth -> NAME.py
        if not osp.isfile(config):
            raise FileNotFoundError(
                f'exported config not found: {config} (give NAME.py to '
                'torch-model-archiver with --extra-files).')
        gpu = props.get('gpu_id')
        device = f'cuda:{gpu}' if gpu is not None else 'cpu'
        self.model = init_model(config, checkpoint, device=device)
        palette = np.zeros((256, 3), np.uint8)
        colours = np.asarray(self.model.dataset_meta['palette'], np.uint8)[:256]
        palette[:len(colours)] = colours
        self.palette = palette.reshape(-1).tolist()

    def handle(self, data, context) -> list:
        """``data``: one dict per request, the image bytes under ``data`` or
        ``body``; returns one PNG (bytes) per request."""
        from mmseg.apis import inference_model
        out = []
        for row in data:
            body = row.get('data') or row.get('body')
            image = mmcv.imfrombytes(bytes(body))  # BGR, as LoadImageFromFile
            if image is None:
                raise ValueError('request body is not a decodable image')
            pred = inference_model(self.model, image).pred_sem_seg.data[0]
            mask = Image.fromarray(pred.cpu().numpy().astype(np.uint8), mode='P')
            mask.putpalette(self.palette)
            buffer = io.BytesIO()
            mask.save(buffer, format='PNG')
            out.append(buffer.getvalue())
        return out
