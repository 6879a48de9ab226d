# Model zoo: ablation, VOC 1/16 R101, no hypercolumn; paper Fig. 5.
# 'w/o hypercolumn': SGC key/query from the last stage only, on the 1/16 unlabelled
# recipe.
_base_ = ['./deeplabv3plus_r101_voc_1-16.py']
model = dict(sgc_head=dict(hypercolumn_in_index=(-1, )))
