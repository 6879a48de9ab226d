# Model zoo: COCO 1/64 (64_all), extra unlabelled, Xception-65; paper 41.75.
# 1,849 labelled train2017 images (1-64_seed1.txt = 64_all.txt), the rest of
# train2017 extra (the labelled split excluded).
_base_ = ['./deeplabv3plus_xception65_coco_1-32.py']
labelled_split = 'ImageSets/SegmentationSemi/1-64_seed1.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets[0].ann_file = labelled_split
train_dataloader.dataset.datasets[1].exclude_split = labelled_split
