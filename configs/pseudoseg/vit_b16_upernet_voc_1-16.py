# Model zoo: VOC 1/16 (16_clean_3), extra unlabelled, UPerNet ViT-B/16; not in the paper.
# Backbone variant (no published PseudoSeg number): the 1/16 unlabelled VOC recipe
# with UPerNet / ViT-B/16 (+ multi-level neck). Single-resolution backbone: the SGC
# hypercolumn takes layers 9 and 12, both at stride 16 (model base). Optimiser:
# mmseg's ViT schedule (AdamW lr 6e-5, wd 0.01, no decay on pos_embed, cls_token
# and norms, 1,500-iteration warm-up, poly 1.0) over the recipe's 30k iterations.
_base_ = [
    './_base_/models/pseudoseg_upernet_vit-b16.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k_adamw.py', './_base_/default_runtime.py'
]
optim_wrapper = dict(paramwise_cfg=dict(custom_keys=dict(
    pos_embed=dict(decay_mult=0.0), cls_token=dict(decay_mult=0.0))))
