# Model zoo: ablation, VOC 1/16 R101, decoder-only pseudo labels; paper Table 5.
# Row 'decoder only' as the released code runs it (--use_attention=false) in the
# unlabelled mode: no CAM, no SGC and no classifier loss L_x (train_wss.py:373-448
# and 638-702 are skipped); the pseudo label is Sharpen(softmax(decoder), T)
# (lines 450-458). With image-level labels the released code keeps L_x
# (lines 306-342): there use pseudo_labeler=dict(source='decoder') with the
# sgc_head left in place (docs/method.md §9).
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
model = dict(sgc_head=None, pseudo_labeler=dict(source='decoder'))
