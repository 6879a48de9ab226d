# Model zoo: ablation, VOC 1/16 R101, SGC-only pseudo labels; paper Table 5.
# Paper Table 5 (pseudo-label source), row 'SGC only', on the 1/16 unlabelled
# recipe: the pseudo label is Sharpen(softmax(SGC logits), T).
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
model = dict(pseudo_labeler=dict(source='sgc'))
