# PASCAL VOC 2012 semi-supervised data of the baselines (docs/methods.md §1): the
# PseudoSeg data (labelled split + train_aug without labels, 8 + 8 per GPU, the same
# weak geometry, padding to 513 by the preprocessor); each method only chooses what
# its strong branch adds. A recipe puts one of the extra pipelines below into
# train_dataloader.dataset.datasets[1].
_base_ = ['../../pseudoseg/_base_/datasets/voc_semi_unlabelled.py']
# the strong view's CutMix box travels in its metainfo
cutmix_meta_keys = ('img_path', 'seg_map_path', 'img_id', 'ori_shape', 'img_shape',
                    'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                    'reduce_zero_label', 'branch', 'cutmix_box')
pack_strong = dict(type='PackSemiSegInputs', seg_key='gt_valid_map',
                   meta_keys=cutmix_meta_keys)
# UniMatch's strong view (dataset/semi.py): torchvision ColorJitter(0.5, 0.5, 0.5,
# 0.25) with p 0.8, grayscale p 0.2, blur sigma U(0.1, 2) p 0.5, CutMix box p 0.5.
unimatch_strong_view = [
    dict(type='PILColorJitter', brightness=0.5, contrast=0.5, saturation=0.5,
         hue=0.25, prob=0.8, gray_prob=0.2),
    dict(type='RandomGaussianBlur', prob=0.5, sigma_range=(0.1, 2.0)),
    dict(type='RandomCutMixBox', crop_size=_base_.crop_size, style='unimatch',
         prob=0.5),
    pack_strong,
]
# Mean Teacher's perturbation: the CutMix-Seg code's colour augmentation
# (--aug_strong_colour: 0.4, 0.4, 0.4, 0.1 with p 0.8, grayscale p 0.2); the views
# are pixel-aligned here, so no second crop (docs/methods.md §2).
mean_teacher_strong_view = [
    dict(type='PILColorJitter', brightness=0.4, contrast=0.4, saturation=0.4,
         hue=0.1, prob=0.8, gray_prob=0.2),
    dict(type='PackSemiSegInputs', seg_key='gt_valid_map'),
]
# CutMix-Seg (BMVC code): no colour change, one box of half the crop, always.
cutmix_seg_strong_view = [
    dict(type='RandomCutMixBox', crop_size=_base_.crop_size, style='cutmix_seg',
         prop_range=(0.5, 0.5)),
    pack_strong,
]
_extra_head = [dict(type='LoadImageFromFile'), dict(type='CheckFiniteImage'),
               dict(type='GenerateValidityMap'), *_base_.weak_geometry]
unimatch_branches = ['sup', 'weak', 'strong', 'strong2']
mean_teacher_extra_pipeline = [*_extra_head, dict(
    type='MultiView', branch_field=_base_.branches,
    weak=[dict(type='PackSemiSegInputs')], strong=mean_teacher_strong_view)]
cutmix_seg_extra_pipeline = [*_extra_head, dict(
    type='MultiView', branch_field=_base_.branches,
    weak=[dict(type='PackSemiSegInputs')], strong=cutmix_seg_strong_view)]
fixmatch_extra_pipeline = [*_extra_head, dict(
    type='MultiView', branch_field=_base_.branches,
    weak=[dict(type='PackSemiSegInputs')], strong=unimatch_strong_view)]
unimatch_extra_pipeline = [*_extra_head, dict(
    type='MultiView', branch_field=unimatch_branches,
    weak=[dict(type='PackSemiSegInputs')], strong=unimatch_strong_view,
    strong2=unimatch_strong_view)]
# every sample of a UniMatch batch has the four branches
unimatch_labelled_pipeline = [*_base_.labelled_pipeline[:-1], dict(
    type='MultiView', branch_field=unimatch_branches,
    sup=[dict(type='PackSemiSegInputs')])]
