"""Slides that do not fit their 16:9 page, found from WeasyPrint's real layout.

Too tall: the slide's section spills onto extra pages, or (a slide laid out as a flex column, which
WeasyPrint does not split across pages) a box ends below the bottom edge. Too wide: a line
(usually of code, which never wraps) ends past the right edge of the page. All are invisible to the
audience in the HTML deck (clipped), so they are reported with the slide number.
"""
from __future__ import annotations

from dataclasses import dataclass

PAGE_WIDTH = 960
PAGE_HEIGHT = 540


@dataclass
class Overflow:
    slide: int
    kind: str      # "height" | "bottom" | "width"
    amount: float  # extra pages, or px past the bottom or the right edge


def find_overflows(document, expected_pages: dict[int, int]) -> list[Overflow]:
    found: list[Overflow] = []
    counts: dict[int, int] = {}
    widest: dict[int, float] = {}
    lowest: dict[int, float] = {}
    current = 0
    for page in document.pages:
        ids = [a for a in page.anchors if a.startswith("page-")]
        if ids:
            current = int(ids[0].split("-")[1])
        counts[current] = counts.get(current, 0) + 1
        right, bottom = _text_extent(page._page_box)  # WeasyPrint has no public box API
        widest[current] = max(widest.get(current, 0.0), right)
        lowest[current] = max(lowest.get(current, 0.0), bottom)
    for slide, n in sorted(counts.items()):
        if n > expected_pages.get(slide, 1):
            found.append(Overflow(slide, "height", n - expected_pages.get(slide, 1)))
        elif lowest.get(slide, 0.0) > PAGE_HEIGHT + 0.5:
            found.append(Overflow(slide, "bottom", lowest[slide] - PAGE_HEIGHT))
    for slide, right in sorted(widest.items()):
        if right > PAGE_WIDTH + 0.5:
            found.append(Overflow(slide, "width", right - PAGE_WIDTH))
    return found


def _text_extent(box) -> tuple[float, float]:
    """How far right the page's text reaches, and how far down any of its boxes does: a flex column
    WeasyPrint cannot split is as tall as its content, even where it leaves some of it out."""
    right = bottom = 0.0
    stack = [box]
    while stack:
        b = stack.pop()
        if type(b).__name__ == "TextBox":
            right = max(right, b.position_x + b.width)
        bottom = max(bottom, b.border_box_y() + b.border_height())
        stack.extend(getattr(b, "children", ()) or ())
    return right, bottom


def describe(overflow: Overflow) -> str:
    if overflow.kind == "height":
        extra = int(overflow.amount)
        return f"slide {overflow.slide} does not fit its page: its content runs {extra} page{'s' * (extra > 1)} too long"
    if overflow.kind == "bottom":
        return f"slide {overflow.slide} does not fit its page: its content runs {overflow.amount:.0f} px past the bottom edge"
    return f"slide {overflow.slide} does not fit its page: a line runs {overflow.amount:.0f} px past the right edge"
