# Model zoo: VOC 1/16 (16_clean_3), extra unlabelled, SegFormer MiT-B2; not in the paper.
# Backbone variant (no published PseudoSeg number): the 1/16 unlabelled VOC recipe
# with SegFormer MiT-B2 + SegformerHead. Optimiser: mmseg's SegFormer schedule
# (AdamW lr 6e-5, wd 0.01, heads at 10x lr, 1,500-iteration warm-up, poly 1.0) over
# the recipe's 30k iterations and batch; the SGD/0.007 setting is for ResNets.
_base_ = [
    './_base_/models/pseudoseg_segformer_mit-b2.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k_adamw.py', './_base_/default_runtime.py'
]
optim_wrapper = dict(paramwise_cfg=dict(custom_keys=dict(
    pos_block=dict(decay_mult=0.0),
    head=dict(lr_mult=10.0))))  # 'head' = decode_head and sgc_head
