"""Pictures for people: class colours, label maps painted with them, legends
(the panels, the demo picture, the view browser and the tools)."""
from .legend import class_legend
from .palette import IGNORE_COLOUR, colorize, default_palette, voc_colormap

__all__ = ['IGNORE_COLOUR', 'class_legend', 'colorize', 'default_palette',
           'voc_colormap']
