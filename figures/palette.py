"""The figures' look: colours, font sizes, and the matplotlib settings every builder draws under.

Importing this module is cheap: matplotlib is imported inside :func:`theme` only.
Text is set in the deck's font (Source Sans 3), which :mod:`deck.shared.svg` registers with matplotlib.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Iterator

from deck.shared.svg import DECK_FONT, register_deck_font

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

NAVY = "#1f3a5f"
ACCENT = "#e4572e"
TEAL = "#17808e"
GOLD = "#f2a541"
GREY = "#6b7280"
LIGHT = "#eef2f7"
WHITE = "#ffffff"
#: grey for text: 7.6:1 against white, and >= 4.5:1 on the light tints grid cells have
MUTED = "#4b5563"
#: behind white text that warns (untrained weights): 5.7:1, where ACCENT gives 3.7:1
WARNING = "#b83c1b"

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

#: font sizes in points, before :func:`legible_fonts` scales them to a figure's size
FONT = {
    "title": 14,
    "label": 12,
    "text": 12,
    "tick": 11,
    "small": 11,
    "cell": 12,
}

#: matplotlib settings active while a figure is built (see :func:`theme`)
THEME_RC: dict[RcKeyType, Any] = {
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


#: over the smallest legible size in a room deck estimated (from the theme's own sizes, it is the
#: room WeasyPrint lays out, render/page_fit.py `figure_room`): what rounding may take
ROOM_MARGIN = 1.02


def legible_fonts(width_in: float, height_in: float, room_height: float | None = None, *,
                  used: tuple[str, ...] = tuple(FONT)) -> dict[str, float]:
    """:data:`FONT` scaled up (never down) so that its smallest size reads from the back row in a
    figure of this size once scaled to a slide (:mod:`figures.legibility`). When the room the slide
    leaves the figure is known (``room_height`` in slide px; by default the room deck estimated for
    the cell running now, :data:`deck.shared.svg.figure_room`), scaled up further if need be so that
    the smallest of the sizes the figure ``used`` reads in that room."""
    from deck.shared.svg import SVG_PAD_INCHES, figure_room

    from .legibility import MIN_TEXT_PX, min_font_for, room_scale

    k = max(1.0, min_font_for(width_in * 72, height_in * 72, margin=1.05) / min(FONT.values()))
    room = figure_room.get() if room_height is None else room_height
    if room is not None and room > 0:
        pad = 2 * SVG_PAD_INCHES  # the SVG is the drawing and its margins: scaled to the room as a whole
        need = MIN_TEXT_PX / room_scale((width_in + pad) * 72, (height_in + pad) * 72, room) * ROOM_MARGIN
        k = max(k, need / min(FONT[key] for key in used))
    return {key: round(size * k, 2) for key, size in FONT.items()}


@contextlib.contextmanager
def theme(fonts: dict[str, float] | None = None) -> Iterator[None]:
    """rc settings for building a figure (fonts, colours), restored afterwards; ``fonts`` (from
    :func:`legible_fonts`) sets the sizes of ticks, titles and labels matplotlib draws by itself."""
    import matplotlib

    register_deck_font()  # builders measure their text in it before drawing
    rc = dict(THEME_RC)
    if fonts is not None:
        rc.update({"font.size": fonts["text"], "axes.titlesize": fonts["title"],
                   "axes.labelsize": fonts["label"], "xtick.labelsize": fonts["tick"],
                   "ytick.labelsize": fonts["tick"], "legend.fontsize": fonts["small"]})
    with matplotlib.rc_context(rc):
        yield
