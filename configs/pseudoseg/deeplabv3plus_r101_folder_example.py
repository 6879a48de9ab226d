# Model zoo: your own folders, extra unlabelled, ResNet-101; no paper number.
# Your own dataset from folders (no published number): the headline recipe
# (DeepLabv3+ R101 OS16, 8 labelled + 8 unlabelled per GPU) on
# data/my_dataset/{labelled/{images,masks},unlabelled/images,val/{images,masks}}.
# Copy this file and change the five values below.
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_r101-os16.py',
    './_base_/datasets/folder_semi.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
data_root = 'data/my_dataset'
classes = ('background', 'crack', 'spall')  # or None: <data_root>/classes.txt
crop_size = (321, 321)
model = dict(data_preprocessor=dict(size=crop_size),
             decode_head=dict(num_classes=3))  # = len(classes)
train_dataloader = dict(dataset=dict(data_root=data_root, classes=classes,
                                     crop_size=crop_size))
val_dataloader = dict(dataset=dict(data_root=data_root, classes=classes))
test_dataloader = val_dataloader
