# Embedded demo, optional row: demo_pseudoseg_1-16 with the unlabelled class
# prediction thresholded at 0.3 instead of the released 0.5
# (semi_train_cfg.class_threshold, docs/method.md §2, §9): the CAM keeps classes that
# the from-scratch classifier scores low.
_base_ = ['./demo_pseudoseg_1-16.py']
model = dict(semi_train_cfg=dict(class_threshold=0.3))
