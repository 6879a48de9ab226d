# Self-training baseline data (paper §4.4): the labelled split + the train_aug images
# with offline one-hot pseudo labels of the supervised teacher (255 where its
# confidence is below 0.5), both trained as labelled data, 8 + 8 per GPU
# (voc_semi_batch.py). Make the labels first (teacher = the matching *_supervised
# config and its checkpoint):
#   python tools/make_self_training_labels.py \
#       configs/pseudoseg/deeplabv3plus_r101_voc_1-16_supervised.py TEACHER.pth \
#       --out data/VOCdevkit/VOC2012/SelfTrainingLabels/1-16_seed1
_base_ = ['./voc_semi_batch.py']
pseudo_label_dir = 'SelfTrainingLabels/1-16_seed1'
pseudo_split = 'ImageSets/Segmentation/trainaug.txt'
train_dataloader = _base_.train_dataloader  # edit the inherited dict in place
train_dataloader.dataset.datasets.append(
    dict(type=_base_.dataset_type,
         data_root=_base_.data_root,
         ann_file=pseudo_split,
         data_prefix=dict(img_path='JPEGImages', seg_map_path=pseudo_label_dir),
         disjoint_from=_base_.val_split,
         pipeline=_base_.sup_pipeline))
