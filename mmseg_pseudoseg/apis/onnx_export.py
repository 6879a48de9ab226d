"""ONNX graph of an exported (stock mmseg) segmentor.

The graph is the test-time path of ``EncoderDecoder`` in ``mode='whole'``
(docs/method.md §1: PseudoSeg is that model at test time), preceded by the data
preprocessor's normalisation:

* input ``image``: float32 ``(N, 3, H, W)``, **RGB**, values 0-255 (a decoded
  image as it is, no normalisation); ``H`` and ``W`` are dynamic;
* inside the graph: the channel order the model was trained with (BGR when its
  ``SegDataPreProcessor`` has ``bgr_to_rgb=False``), ``(x - mean) / std``,
  backbone, neck, decode head, bilinear resize of the logits to ``H x W``;
* outputs ``logits``: float32 ``(N, K, H, W)``, and with ``argmax=True`` also
  ``labels``: int64 ``(N, H, W)``, the class of each pixel.

The graph does not pad: mmseg's ``inference_model`` pads to the config's
``test_cfg.size`` before the network and crops after, so near the border its
logits differ slightly from the graph's on the unpadded image; pad the input
with the mean colour first for the same numbers. The classes and palette
(``dataset_meta``) go into the model's metadata (``classes``, ``palette``: JSON).

Exporter: ``torch.onnx.export(..., dynamo=True)`` (``torch.export`` + onnxscript).
torch 2.13 still has the TorchScript-based one (``dynamo=False``, deprecated), but
its graph of SegFormer's attention keeps the traced sequence length in a
``Reshape`` and fails at any other image size; the dynamo exporter's graph runs at
every size for DeepLabv3+ and SegFormer. Needs ``onnx`` and ``onnxscript`` to
export, ``onnxruntime`` to run.
"""
import json
import re
import warnings
from typing import Optional, Tuple

import torch
import torch.nn as nn

from .export import _plain

__all__ = ['SegmentationGraph', 'OnnxExportError', 'export_onnx', 'unsupported_op']

OPSET = 18


class OnnxExportError(RuntimeError):
    """A model the ONNX exporter cannot convert; names the operator."""


class SegmentationGraph(nn.Module):
    """RGB image -> logits (and labels) of a stock mmseg ``EncoderDecoder``.

    Args:
        model: the built ``EncoderDecoder`` (eval mode, weights loaded).
        argmax (bool): also return ``labels = logits.argmax(1)``.

    ``forward(image)``: ``image`` float ``(N, 3, H, W)`` RGB 0-255 ->
    ``logits`` ``(N, K, H, W)`` [, ``labels`` int64 ``(N, H, W)``].
    """

    def __init__(self, model: nn.Module, argmax: bool = False) -> None:
        super().__init__()
        from mmengine.model import revert_sync_batchnorm
        self.model = revert_sync_batchnorm(model).eval()
        prep = model.data_preprocessor
        channels = 3
        mean = getattr(prep, 'mean', None) if getattr(
            prep, '_enable_normalize', False) else None
        std = getattr(prep, 'std', None) if mean is not None else None
        self.register_buffer('mean', (mean if mean is not None else torch.zeros(
            channels)).detach().float().reshape(1, -1, 1, 1).clone(), False)
        self.register_buffer('std', (std if std is not None else torch.ones(
            channels)).detach().float().reshape(1, -1, 1, 1).clone(), False)
        # RGB in; a preprocessor without bgr_to_rgb fed the network BGR
        self.to_bgr = not getattr(prep, 'channel_conversion', False)
        self.argmax = argmax
        self.align_corners = model.decode_head.align_corners

    def forward(self, image: torch.Tensor):
        from mmseg.models.utils import resize
        x = image[:, [2, 1, 0]] if self.to_bgr else image
        x = (x - self.mean) / self.std
        logits = self.model.decode_head.forward(self.model.extract_feat(x))
        logits = resize(logits, size=image.shape[2:], mode='bilinear',
                        align_corners=self.align_corners, warning=False)
        if self.argmax:
            return logits, logits.argmax(dim=1)
        return logits


def unsupported_op(err: BaseException) -> Optional[str]:
    """The operator an exporter error names (``aten::...`` or the symbolic's name),
    or None."""
    text = str(err)
    for pattern in (r"(aten[:.]{1,2}[\w.]+)", r"operator '?([\w:.]+)'? to ONNX",
                    r"ONNX export of operator ([\w:.]+)"):
        found = re.search(pattern, text)
        if found:
            return found.group(1)
    return None


WORKAROUND = (
    'Work-arounds: export at one fixed size (--static --onnx-size H W), try another '
    '--opset, or go through MMDeploy, whose rewrites cover the mmseg models '
    '(docs/deploy.md).')


def export_onnx(model: nn.Module, path: str, argmax: bool = False,
                sample_size: Tuple[int, int] = (512, 512), dynamic: bool = True,
                opset: int = OPSET, dataset_meta: Optional[dict] = None) -> str:
    """Write the :class:`SegmentationGraph` of ``model`` to ``path``; return it.

    ``sample_size`` is the traced input's ``(H, W)``; with ``dynamic=False`` the
    graph takes that size only. ``dataset_meta`` (``classes``, ``palette``) is
    stored as JSON metadata. Raises :class:`OnnxExportError` naming the operator
    that does not convert, or the backbone that fixes the image size, with the
    work-arounds.
    """
    import onnx
    from torch.export import Dim
    graph = SegmentationGraph(model, argmax).eval()
    sample = torch.zeros(1, 3, *sample_size)
    outputs = ['logits', 'labels'] if argmax else ['logits']
    shapes = None
    if dynamic:
        shapes = {'image': {0: Dim('batch', max=1024), 2: Dim('height', max=8192),
                            3: Dim('width', max=8192)}}
    backbone = type(model.backbone).__name__
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter('ignore')  # tracer and deprecation warnings
            torch.onnx.export(graph, (sample, ), path, dynamo=True,
                              input_names=['image'], output_names=outputs,
                              dynamic_shapes=shapes, opset_version=opset,
                              external_data=False, verbose=False)
    except Exception as err:  # the exporter raises several types
        op = unsupported_op(err)
        what = f'the operator {op}' if op else 'an operator'
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise OnnxExportError(
            f'{backbone} cannot be exported to ONNX: {what} does not convert (opset '
            f'{opset}): {first}\n{WORKAROUND}') from err
    proto = onnx.load(path)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    if dynamic and any(d.HasField('dim_value') for d in dims[2:]):
        fixed = 'x'.join(str(d.dim_value) for d in dims[2:])
        raise OnnxExportError(
            f'{backbone} cannot be exported with a dynamic height and width: '
            f'torch.export fixed the input to {fixed} (an operation of {backbone} '
            'turns the image size into a constant, e.g. the window padding of '
            f'Swin; {path} takes {fixed} only).\n{WORKAROUND}')
    for key in ('classes', 'palette'):
        if dataset_meta and key in dataset_meta:
            entry = proto.metadata_props.add()
            entry.key = key
            entry.value = json.dumps(_plain(dataset_meta[key]))
    onnx.save(proto, path)
    return path
