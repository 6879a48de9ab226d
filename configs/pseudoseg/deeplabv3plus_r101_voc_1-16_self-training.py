# Model zoo: VOC 1/16 (16_clean_3), self-training baseline, ResNet-101; paper §4.4.
# Paper §4.4 self-training baseline on the 1/16 split: offline one-hot pseudo labels of
# the supervised teacher at confidence 0.5 (tools/make_self_training_labels.py).
_base_ = [
    './_base_/models/deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc_self_training.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
