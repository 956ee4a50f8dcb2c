"""How big a figure's text is on the slide: readable from the back row means at least 2.8 % of the
540-px slide height once the figure is scaled to the slide (its width, or the figure's maximum
height on a slide, whichever binds first).

The width used is the slide's content width (960 px less the theme's 56-px side paddings): that is
where deck's `figure_html` scales a figure to, so the sizes computed here are the sizes seen, and
hold a fortiori at the full 960 px."""

from __future__ import annotations

import re

from deck.shared.svg import FIGURE_MAX_HEIGHT_PX

SLIDE_WIDTH_PX = 960
SLIDE_HEIGHT_PX = 540
#: the width a figure is scaled to: the slide's content box (deck's theme pads 56 px each side)
FIGURE_WIDTH_PX = SLIDE_WIDTH_PX - 2 * 56
MIN_TEXT_PX = 0.028 * SLIDE_HEIGHT_PX  # 15.12 px
#: the slide's body text (base.css `--text-size`): what a diagram's labels aim at
BODY_TEXT_PX = 30
#: the room a figure has on a slide with a title and nothing else (the slide's 478-px content box
#: less the title and the figure's margins; tests/test_diagram_room.py measures it in Chromium)
FIGURE_ROOM_HEIGHT_PX = 398

_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"[^>]*?\bheight="([\d.]+)pt"')


def display_scale(width_pt: float, height_pt: float) -> float:
    """Slide pixels per SVG unit (point) when the figure is scaled to the slide."""
    return min(FIGURE_WIDTH_PX / width_pt, FIGURE_MAX_HEIGHT_PX / height_pt)


def room_scale(width_pt: float, height_pt: float, room_height_px: float = FIGURE_ROOM_HEIGHT_PX) -> float:
    """Slide pixels per point when the figure fills a room of the content's width and that height
    (the theme sizes a figure to the room its slide leaves, its ratio kept)."""
    return min(FIGURE_WIDTH_PX / width_pt, room_height_px / height_pt)


def svg_size(svg: str) -> tuple[float, float]:
    """(width, height) in points of a figure's SVG document."""
    m = _SIZE.search(svg)
    if m is None:
        raise ValueError("SVG without width/height in pt")
    return float(m.group(1)), float(m.group(2))


def rendered_px(font_pt: float, svg: str) -> float:
    """Height in slide pixels of a font of ``font_pt`` points drawn in ``svg``."""
    return font_pt * display_scale(*svg_size(svg))


def min_font_for(width_pt: float, height_pt: float, margin: float = 1.03) -> float:
    """The smallest font size (points) legible in a figure of that size."""
    return MIN_TEXT_PX / display_scale(width_pt, height_pt) * margin
