# Paper Table 5 (pseudo-label source), row 'decoder only', on the 1/16 unlabelled
# recipe, as the released code runs it (train_wss.py with --use_attention=false):
# no CAM, no SGC and no classifier loss L_x (train_wss.py:373-448 and 638-702 are
# skipped); the pseudo label is Sharpen(softmax(decoder), T) (lines 450-458).
# Keeping the SGC and L_x trained while the label comes from the decoder alone is the
# option `pseudo_labeler=dict(source='decoder')` with the sgc_head left in place.
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
model = dict(sgc_head=None, pseudo_labeler=dict(source='decoder'))
