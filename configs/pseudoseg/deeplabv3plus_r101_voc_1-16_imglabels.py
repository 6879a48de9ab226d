# VOC12 low-data (SPEC §8 table), row 'PseudoSeg, image-level labels',
# column 1/16: 92 labelled + train_aug with image-level labels (71.22 mIoU).
_base_ = [
    './_base_/models/pseudoseg_deeplabv3plus_r101-os16.py',
    './_base_/datasets/voc_semi_imglabels.py',
    './_base_/schedules/schedule_30k.py', './_base_/default_runtime.py'
]
model = dict(semi_train_cfg=dict(use_image_labels=True))
