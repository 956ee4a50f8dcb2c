"""The figures' look: colours, font sizes, and the matplotlib settings every builder draws under.

Importing this module is cheap: matplotlib is imported inside :func:`theme` only.
Text is set in the deck's font (Source Sans 3), which :mod:`deck.shared.svg` registers with matplotlib.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from deck.shared.svg import DECK_FONT, register_deck_font

NAVY = "#1f3a5f"
ACCENT = "#e4572e"
TEAL = "#17808e"
GOLD = "#f2a541"
GREY = "#6b7280"
LIGHT = "#eef2f7"
WHITE = "#ffffff"

PALETTE = {
    "navy": NAVY,
    "accent": ACCENT,
    "teal": TEAL,
    "gold": GOLD,
    "grey": GREY,
    "light": LIGHT,
}

#: colour cycle for curves, in order of preference
CYCLE = (NAVY, ACCENT, TEAL, GOLD, GREY)

#: font sizes in points; figures are drawn ~6-9 in wide for a 960x540 slide
FONT = {
    "title": 14,
    "label": 12,
    "text": 12,
    "tick": 11,
    "small": 11,
    "cell": 12,
}

#: matplotlib settings active while a figure is built (see :func:`theme`)
THEME_RC: dict[str, Any] = {
    # the deck's font: text is written as text (deck.shared.svg); DejaVu Sans has the glyphs it lacks
    "font.family": [DECK_FONT, "DejaVu Sans"],
    "font.size": FONT["text"],
    "axes.titlesize": FONT["title"],
    "axes.titleweight": "bold",
    "axes.titlecolor": NAVY,
    "axes.titlelocation": "left",
    "axes.labelsize": FONT["label"],
    "axes.labelcolor": NAVY,
    "axes.edgecolor": GREY,
    "axes.linewidth": 1.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.facecolor": "none",
    "axes.grid": False,
    "axes.unicode_minus": True,
    "grid.color": "#d5dbe3",
    "grid.linewidth": 0.8,
    "xtick.color": GREY,
    "ytick.color": GREY,
    "xtick.labelcolor": NAVY,
    "ytick.labelcolor": NAVY,
    "xtick.labelsize": FONT["tick"],
    "ytick.labelsize": FONT["tick"],
    "legend.fontsize": FONT["small"],
    "legend.frameon": False,
    "text.color": NAVY,
    "figure.facecolor": "none",
    "figure.dpi": 100,
    "lines.linewidth": 2.6,
    "image.interpolation": "none",
}


@contextlib.contextmanager
def theme() -> Iterator[None]:
    """rc settings for building a figure (fonts, colours), restored afterwards."""
    import matplotlib

    register_deck_font()  # builders measure their text in it before drawing
    with matplotlib.rc_context(THEME_RC):
        yield
