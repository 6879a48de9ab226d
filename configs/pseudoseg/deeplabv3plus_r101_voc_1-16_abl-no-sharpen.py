# Model zoo: ablation, VOC 1/16 R101, no sharpening; paper Fig. 5.
# Paper Fig. 5 (sharpening), 'w/o sharpening' (T = 1), on the 1/16 unlabelled recipe.
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
model = dict(pseudo_labeler=dict(temperature=1.0))
