# Backbone variant (SPEC §7: the released code's Xception-65) of the 1/16 unlabelled
# recipe, row 'PseudoSeg, unlabelled', column 1/16; needs the timm weights (model base).
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_xception65-os16.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
