# Paper Table 7 (high-data regime), PseudoSeg row, column 'COCO train2017 as extra
# data': the 1,464 VOC train images labelled + COCO train2017 (118,287 images)
# without labels, γ = 0.3, T = 0.7, 90k iterations; VOC val. ResNet-101; no paper
# number is cited here (docs/method.md §8).
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc-train_coco-extra.py',
    './_base_/schedules/schedule_90k.py', './_base_/default_runtime.py'
]
model = dict(pseudo_labeler=dict(gamma=0.3, temperature=0.7))
