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
# Test-time augmentation (tools/test.py --tta): DeepLab's multi-scale + flip
# evaluation (scales 0.5-1.75, plus the horizontal flip of each), merged by mmseg's
# SegTTAModel (mean of the softmax maps at the original size).
tta_model = dict(type='SegTTAModel')
tta_scales = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='Resize', scale_factor=r, keep_ratio=True) for r in tta_scales],
             [dict(type='RandomFlip', prob=0.0, direction='horizontal'),
              dict(type='RandomFlip', prob=1.0, direction='horizontal')],
             [dict(type='LoadAnnotations')],
             [dict(type='PackSegInputs')],
         ]),
]
