"""Pictures for people: label maps painted with a palette, class legends."""
from .legend import IGNORE_COLOUR, class_legend, paint_labels

__all__ = ['IGNORE_COLOUR', 'class_legend', 'paint_labels']
