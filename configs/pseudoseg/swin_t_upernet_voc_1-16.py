# Model zoo: VOC 1/16 (16_clean_3), extra unlabelled, UPerNet Swin-T; not in the paper.
# Backbone variant (no published PseudoSeg number): the 1/16 unlabelled VOC recipe
# with UPerNet / Swin-T. Optimiser: mmseg's Swin schedule (AdamW lr 6e-5, wd 0.01,
# no decay on position tables and norms, 1,500-iteration warm-up, poly 1.0) over the
# recipe's 30k iterations and batch.
_base_ = [
    './_base_/models/pseudoseg_upernet_swin-t.py',
    './_base_/datasets/voc_semi_unlabelled.py',
    './_base_/schedules/schedule_30k_adamw.py', './_base_/default_runtime.py'
]
optim_wrapper = dict(paramwise_cfg=dict(custom_keys=dict(
    absolute_pos_embed=dict(decay_mult=0.0),
    relative_position_bias_table=dict(decay_mult=0.0))))
