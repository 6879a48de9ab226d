"""Class colours shared by the panels, the demo picture and the tools."""
from .palette import IGNORE_COLOUR, colorize, default_palette, voc_colormap

__all__ = ['IGNORE_COLOUR', 'colorize', 'default_palette', 'voc_colormap']
