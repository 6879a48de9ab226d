# Model zoo: VOC 1/16 (16_clean_3), extra unlabelled, ResNet-50 OS 8; not in the paper.
# Backbone variant (no published PseudoSeg number): the 1/16 unlabelled VOC recipe
# with DeepLabv3+ / ResNet-50 V1c at output stride 8 (ASPP 12/24/36); the recipe's
# SGD schedule unchanged. About 3x the memory of OS 16 (docs/training.md, Memory).
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_r50-os8.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
