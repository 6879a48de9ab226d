# Model zoo: VOC 1/16 (16_clean_3), extra unlabelled, MobileNetV2; not in the paper.
# Backbone variant (no published PseudoSeg number): the 1/16 unlabelled VOC recipe
# with DeepLabv3+ / MobileNetV2 at OS 16; the recipe's SGD schedule unchanged.
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_mobilenetv2-os16.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
