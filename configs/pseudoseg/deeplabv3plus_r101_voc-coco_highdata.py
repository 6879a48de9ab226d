# Paper Table 7 (high-data regime), PseudoSeg row: all 10,582 VOC train_aug images
# labelled + COCO train2017 unlabelled, γ=0.3, T=0.7, 90k iterations; VOC val.
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc_coco_highdata.py',
    './_base_/schedules/schedule_90k.py', './_base_/default_runtime.py'
]
model = dict(pseudo_labeler=dict(gamma=0.3, temperature=0.7))
