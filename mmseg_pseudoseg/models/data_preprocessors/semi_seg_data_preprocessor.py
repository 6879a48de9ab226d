"""``SemiSegDataPreProcessor``: the stock ``SegDataPreProcessor`` applied per branch.

Training batches from ``MultiView`` pipelines are dicts of branches
(docs/batch_format.md)::

    {'inputs': {'sup': [Tensor|None]*N, 'weak': [...], 'strong': [...]},
     'data_samples': {'sup': [SegDataSample|None]*N, ...}}

Each branch's ``None`` entries are dropped and the rest goes through the stock
``SegDataPreProcessor.forward`` (BGR->RGB, normalisation, padding to ``size`` with
``pad_val`` for images and ``seg_pad_val`` = 255 for ``gt_sem_seg``, metainfo
``img_shape``/``pad_shape``/``padding_size``). Branches without samples are left out.
Output::

    {'inputs': {'sup': Tensor(Ns,3,H,W), 'weak': Tensor(Nu,3,H,W),
                'strong': Tensor(Nu,3,H,W)},
     'data_samples': {'sup': [SegDataSample]*Ns, 'weak': [...], 'strong': [...]}}

In eval mode (``training=False``) and for plain (list) inputs it *is* the stock
preprocessor. Being a subclass, it takes exactly the stock config keys, so a model
config only changes ``type``.
"""
from typing import Any, Dict

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS

__all__ = ['SemiSegDataPreProcessor']


@MODELS.register_module()
class SemiSegDataPreProcessor(SegDataPreProcessor):
    """Multi-branch ``SegDataPreProcessor`` (same arguments as the stock one)."""

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        inputs = data['inputs']
        if not training or not isinstance(inputs, dict):
            return super().forward(data, training)
        samples = data['data_samples']
        out_inputs, out_samples = {}, {}
        for branch, branch_inputs in inputs.items():
            kept = [(img, sample) for img, sample in zip(branch_inputs, samples[branch])
                    if img is not None]
            if not kept:
                continue
            result = super().forward(
                dict(inputs=[k[0] for k in kept], data_samples=[k[1] for k in kept]),
                training=True)
            out_inputs[branch] = result['inputs']
            out_samples[branch] = result['data_samples']
        return dict(inputs=out_inputs, data_samples=out_samples)
