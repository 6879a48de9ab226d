# Model zoo: ablation, VOC 1/16 R101, no calibration; paper Fig. 5(a) (ECE).
# 'w/o calibration': plain average of the two softmaxes (norm='none'), on the 1/16
# unlabelled recipe.
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
model = dict(pseudo_labeler=dict(norm='none'))
