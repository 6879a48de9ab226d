# Runtime shared by every config of the family (mmseg's default_runtime + plugin).
custom_imports = dict(imports=['mmseg_pseudoseg'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # CPU runs use gloo (tools/train.py creates it)
)
# DDP that also works on CPU. Every parameter gets a gradient in every step of the
# shipped recipes (tests/test_ddp_unused.py), so DDP skips the unused-parameter
# search. A config whose steps leave parameters idle (a PseudoSeg model trained on
# plain labelled batches: the SGC head idles) sets find_unused_parameters=True.
model_wrapper_cfg = dict(type='DeviceAgnosticDDP', find_unused_parameters=False)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
tta_model = dict(type='SegTTAModel')
