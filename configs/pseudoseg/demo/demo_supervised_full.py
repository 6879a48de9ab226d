# Embedded demo, row 'ceiling': demo_supervised_1-16 with labels on all 1,280 training
# images (the demo's analogue of the 'full' supervised row), same budget.
_base_ = ['./demo_supervised_1-16.py']
labelled_split = 'ImageSets/Segmentation/train.txt'
train_dataloader = dict(dataset=dict(ann_file=labelled_split))
