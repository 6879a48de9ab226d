"""The embedded demo: its dataset generator and its comparison picture."""
from .demo_set import (DATA_VERSION, DEFAULT_SIZES, FRACTIONS, SPLIT_SEEDS,
                       make_demo_data, sample_split)
from .scenes import (DEMO_CLASSES, DEMO_VOC_IDS, IMAGE_HW, VOC_CLASSES, VOC_PALETTE,
                     load_sources, render_scene, voc_palette)

__all__ = ['DATA_VERSION', 'DEFAULT_SIZES', 'DEMO_CLASSES', 'DEMO_VOC_IDS',
           'FRACTIONS', 'IMAGE_HW', 'SPLIT_SEEDS', 'VOC_CLASSES', 'VOC_PALETTE',
           'load_sources', 'make_demo_data', 'render_scene', 'sample_split',
           'voc_palette']
