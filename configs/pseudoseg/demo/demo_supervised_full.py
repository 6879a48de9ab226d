# Embedded demo, row 'ceiling': demo_supervised_1-16 with labels on every demo
# training image (trainaug: the 1,024 labelled pool + 2,048 extra, masks from
# SegmentationClassAug), same budget: the task's calibrated ceiling
# (docs/demo_calibration.md).
_base_ = ['./demo_supervised_1-16.py']
labelled_split = 'ImageSets/Segmentation/trainaug.txt'
train_dataloader = dict(dataset=dict(ann_file=labelled_split))
