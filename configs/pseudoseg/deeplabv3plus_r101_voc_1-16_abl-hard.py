# Model zoo: ablation, VOC 1/16 R101, hard pseudo labels; paper Fig. 5.
# Paper Fig. 5 (soft vs hard), point 'hard' (one-hot argmax of the fused label), on
# the 1/16 unlabelled recipe; 'soft' is deeplabv3plus_r101_voc_1-16.py.
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
model = dict(pseudo_labeler=dict(hard=True))
