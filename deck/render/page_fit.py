"""Slides that do not fit their 16:9 page, found from WeasyPrint's real layout.

Too tall: the slide's section spills onto extra pages. Too wide: a line (usually of code, which
never wraps) ends past the right edge of the page. Both are invisible to the audience in the
HTML deck (clipped), so they are reported with the slide number.
"""
from __future__ import annotations

from dataclasses import dataclass

PAGE_WIDTH = 960


@dataclass
class Overflow:
    slide: int
    kind: str      # "height" | "width"
    amount: float  # extra pages, or px past the right edge


def find_overflows(document, expected_pages: dict[int, int]) -> list[Overflow]:
    found: list[Overflow] = []
    counts: dict[int, int] = {}
    widest: dict[int, float] = {}
    current = 0
    for page in document.pages:
        ids = [a for a in page.anchors if a.startswith("page-")]
        if ids:
            current = int(ids[0].split("-")[1])
        counts[current] = counts.get(current, 0) + 1
        right = _rightmost_text(page._page_box)  # WeasyPrint has no public box API
        widest[current] = max(widest.get(current, 0.0), right)
    for slide, n in sorted(counts.items()):
        if n > expected_pages.get(slide, 1):
            found.append(Overflow(slide, "height", n - expected_pages.get(slide, 1)))
    for slide, right in sorted(widest.items()):
        if right > PAGE_WIDTH + 0.5:
            found.append(Overflow(slide, "width", right - PAGE_WIDTH))
    return found


def _rightmost_text(box) -> float:
    right = 0.0
    stack = [box]
    while stack:
        b = stack.pop()
        if type(b).__name__ == "TextBox":
            right = max(right, b.position_x + b.width)
        stack.extend(getattr(b, "children", ()) or ())
    return right


def describe(overflow: Overflow) -> str:
    if overflow.kind == "height":
        extra = int(overflow.amount)
        return f"slide {overflow.slide} does not fit its page: its content runs {extra} page{'s' * (extra > 1)} too long"
    return f"slide {overflow.slide} does not fit its page: a line runs {overflow.amount:.0f} px past the right edge"
