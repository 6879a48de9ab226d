# Backbone variant (SPEC §7: ResNet-50 also reported) of the 1/16 unlabelled recipe,
# row 'PseudoSeg, unlabelled', column 1/16, with DeepLabv3+ / ResNet-50 V1c.
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_r50-os16.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
