# Data pipelines shared by every dataset base (docs/method.md §5). Dataset-independent:
# the dataset bases add roots, split files and loaders.
#
# Weak view (labelled and extra images): random scale in {0.5, 0.75, ..., 2.0}
# (released code), random 513 crop, horizontal flip p = 0.5. Padding to the crop
# (mean colour / label 255) is done by the model's data preprocessor (`size`).
# Strong view = the weak view's pixels (geometry runs before MultiView, so both
# views are pixel-aligned) + colour jitter (released preset) + one 100x100 CutOut
# filled with the mean pixel; CutOut writes 255 into the validity map, which
# masks those pixels out of L_u and out of the SGC attention.
# CutOut placement, released code (PaddedCutOut): box centre uniform over the padded
# 513x513 crop, clipped on all sides, always applied (core/preprocess_utils.py:
# 758-777; core/input_preprocess.py:169-177), so on a down-scaled image it often
# falls partly or wholly into the padding. mmseg's placement (top-left corner inside
# the unpadded crop) is the option:
#   dict(type='RandomCutOut', prob=1.0, n_holes=1, cutout_shape=(100, 100),
#        fill_in=cutout_fill, seg_fill_in=255)
crop_size = (513, 513)
# CutOut fill = the mean pixel of the model's normalisation, in BGR (images are BGR
# here), so the box reads as padding (third_party/deeplab/core/feature_extractor.py:
# 513-535). This is the ResNet mean; the Xception-65 recipes set 127.5 (their
# normalisation mean).
cutout_fill = (103.53, 116.28, 123.675)
branches = ['sup', 'weak', 'strong']
weak_geometry = [
    dict(type='RandomScaleStep', ratio_range=(0.5, 2.0), step=0.25),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
]
# Labelled images, supervised-only runs (stock EncoderDecoder, plain batch).
sup_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CheckFiniteImage'),  # NaN/Inf pixels raise, naming the file
    dict(type='LoadAnnotations'),
    dict(type='CheckSegMap'),  # mask values and size, naming the file
    *weak_geometry,
    dict(type='PackSegInputs'),
]
# Labelled images in a PseudoSeg batch: branch 'sup'.
labelled_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CheckFiniteImage'),  # NaN/Inf pixels raise, naming the file
    dict(type='LoadAnnotations'),
    dict(type='CheckSegMap'),  # mask values and size, naming the file
    *weak_geometry,
    dict(type='MultiView', branch_field=branches,
         sup=[dict(type='PackSemiSegInputs')]),
]
strong_view = [
    dict(type='StrongColorJitter', preset='released'),
    dict(type='PaddedCutOut', crop_size=crop_size, box_size=(100, 100),
         fill_in=cutout_fill, seg_fill_in=255),
    dict(type='PackSemiSegInputs', seg_key='gt_valid_map'),
]
# Extra images without labels: branches 'weak' + 'strong' (no mask is read).
extra_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CheckFiniteImage'),  # NaN/Inf pixels raise, naming the file
    dict(type='GenerateValidityMap'),
    *weak_geometry,
    dict(type='MultiView', branch_field=branches,
         weak=[dict(type='PackSemiSegInputs')], strong=strong_view),
]
# Extra images with image-level labels: the class set of the strong crop after
# CutOut, read from the image's mask (crop-level labels, docs/method.md §2). The weak
# view also carries the mask, for pseudo-label diagnostics only (never a loss target).
extra_imglabels_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CheckFiniteImage'),  # NaN/Inf pixels raise, naming the file
    dict(type='LoadAnnotations'),
    dict(type='CheckSegMap'),  # mask values and size, naming the file
    dict(type='GenerateValidityMap'),
    *weak_geometry,
    dict(type='MultiView', branch_field=branches,
         weak=[dict(type='PackSemiSegInputs')],
         strong=[*strong_view[:2], dict(type='ImageLevelLabels'), strong_view[2]]),
]
# Evaluation: single scale, no flip (docs/method.md §5); the preprocessor pads to the
# eval crop.
val_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
# mmseg's convention: `test_pipeline` is what init_model + inference_model,
# MMSegInferencer and demo scripts run on a single image (they drop LoadAnnotations).
test_pipeline = val_pipeline
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='CalibrationMetric', n_bins=15),  # ECE next to mIoU
]
test_evaluator = val_evaluator
