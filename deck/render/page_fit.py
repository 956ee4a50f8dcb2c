"""Slides that do not fit their 16:9 page, found from WeasyPrint's real layout.

Too tall: the slide's section spills onto extra pages, or (a slide laid out as a flex column, which
WeasyPrint does not split across pages) a box ends below the bottom edge. Too wide: a line of a
cell's code or output (code never wraps) ends past its box, which may sit in a column far from the
page's edge; any other text ends past the right edge of the page. All are invisible to the audience
in the HTML deck (clipped) or spill over their neighbours, so they are reported: a cell's at the
cell (the print document marks each cell with `data-cell`, its index in the deck), the rest at the
slide.
"""
from __future__ import annotations

from dataclasses import dataclass

PAGE_WIDTH = 960
TOLERANCE = 0.5  # px: rounding in the layout, not an overflow
SMALL_CODE = 0.85 # `#| code-size: small`: the code's font size relative to normal (base.css)
PAGE_HEIGHT = 540


@dataclass
class Overflow:
    slide: int
    kind: str      # "height" | "bottom" | "width" | "code"
    amount: float  # extra pages, or px past the bottom or the right edge (of the page, or of the cell's box)
    cell: int | None = None     # code: the cell's index in the deck
    line: int | None = None     # code: the 0-based line of the displayed code (None: its output)
    small_fits: bool = False    # code: `code-size: small` would make the line fit
    pre: bool = True            # code: in the cell's code or printed text (not a table or a figure)


@dataclass
class _Box:
    """Where a text box sits: its cell, the right edge it must keep within, its code line."""

    cell: int | None = None
    limit: float = PAGE_WIDTH
    line: int | None = None
    start: float = 0.0  # left edge of the box's text, to know whether smaller code would fit
    output: bool = False
    pre: bool = False   # inside the cell's <pre> (code or printed output), which `code-size` scales


def find_overflows(document, expected_pages: dict[int, int]) -> list[Overflow]:
    counts: dict[int, int] = {}
    widest: dict[int, float] = {}
    code: dict[tuple[int, int, int | None], Overflow] = {}
    lowest: dict[int, float] = {}
    current = 0
    for page in document.pages:
        ids = [a for a in page.anchors if a.startswith("page-")]
        if ids:
            current = int(ids[0].split("-")[1])
        counts[current] = counts.get(current, 0) + 1
        lowest[current] = max(lowest.get(current, 0.0), _lowest(page._page_box))
        for right, where in _text_boxes(page._page_box):  # WeasyPrint has no public box API
            if where.cell is None:
                widest[current] = max(widest.get(current, 0.0), right)
                continue
            past = right - where.limit
            if past <= TOLERANCE:
                continue
            key = (current, where.cell, where.line)
            small = where.pre and where.start + (right - where.start) * SMALL_CODE <= where.limit + TOLERANCE
            if key not in code or past > code[key].amount:
                code[key] = Overflow(current, "code", past, where.cell, where.line, small, where.pre)
    found = []
    for slide, n in sorted(counts.items()):
        if n > expected_pages.get(slide, 1):
            found.append(Overflow(slide, "height", n - expected_pages.get(slide, 1)))
        elif lowest.get(slide, 0.0) > PAGE_HEIGHT + TOLERANCE:
            found.append(Overflow(slide, "bottom", lowest[slide] - PAGE_HEIGHT))
    found += [Overflow(slide, "width", right - PAGE_WIDTH)
              for slide, right in sorted(widest.items()) if right > PAGE_WIDTH + TOLERANCE]
    # one problem per cell: its widest line
    per_cell: dict[tuple[int, int], Overflow] = {}
    for o in code.values():
        if (o.slide, o.cell) not in per_cell or o.amount > per_cell[(o.slide, o.cell)].amount:
            per_cell[(o.slide, o.cell)] = o
    return found + sorted(per_cell.values(), key=lambda o: (o.slide, o.cell))


def _text_boxes(page_box):
    """(right edge, _Box) of every text box of the page."""
    stack = [(page_box, _Box())]
    while stack:
        box, where = stack.pop()
        if type(box).__name__ == "TextBox":
            yield box.position_x + box.width, where
            continue
        where = _entering(box, where)
        children = getattr(box, "children", ()) or ()
        if type(box).__name__ == "BlockBox" and box.element_tag == "pre" and where.cell is not None:
            # each line box of a <pre> is a line of the displayed code
            stack.extend((child, _line(where, k)) for k, child in enumerate(children))
        else:
            stack.extend((child, where) for child in children)


def _lowest(box) -> float:
    """How far down any box of the page reaches: a flex column WeasyPrint cannot split is as tall as
    its content, even where it leaves some of it out."""
    bottom, stack = 0.0, [box]
    while stack:
        b = stack.pop()
        bottom = max(bottom, b.border_box_y() + b.border_height())
        stack.extend(getattr(b, "children", ()) or ())
    return bottom


def _entering(box, where: _Box) -> _Box:
    element = getattr(box, "element", None)
    get = getattr(element, "get", None)
    if get is None or type(box).__name__ not in ("BlockBox", "FlexBox", "InlineBlockBox"):
        return where
    classes = (get("class") or "").split()
    if get("data-cell") is not None and box.element_tag == "div":
        return _Box(int(get("data-cell")), min(where.limit, _inner_right(box)))
    if where.cell is not None and box.element_tag == "pre":
        right = box.padding_box_x() + box.padding_width()
        return _Box(where.cell, min(where.limit, right), None, box.content_box_x(), "output" in classes, True)
    if "column" in classes or "slide-content" in classes:
        return _Box(where.cell, min(where.limit, _inner_right(box)), where.line, where.start, where.output, where.pre)
    return where


def _inner_right(box) -> float:
    return box.content_box_x() + box.width


def _line(where: _Box, k: int) -> _Box:
    return _Box(where.cell, where.limit, None if where.output else k, where.start, where.output, where.pre)


def describe(overflow: Overflow, code_size: str = "normal") -> str:
    if overflow.kind == "height":
        extra = int(overflow.amount)
        return f"slide {overflow.slide} does not fit its page: its content runs {extra} page{'s' * (extra > 1)} too long"
    if overflow.kind == "bottom":
        return f"slide {overflow.slide} does not fit its page: its content runs {overflow.amount:.0f} px past the bottom edge"
    if overflow.kind == "width":
        return f"slide {overflow.slide} does not fit its page: a line runs {overflow.amount:.0f} px past the right edge"
    if not overflow.pre:
        return f"this cell's output (a table or a figure) runs {overflow.amount:.0f} px past its box: make it narrower"
    what = "a line of this cell's output" if overflow.line is None else "this line of code"
    if code_size != "small" and overflow.small_fits:
        hint = "shorten it, or write `#| code-size: small` in the cell"
    elif code_size != "small":
        hint = "shorten or split it (even `#| code-size: small` would not make it fit)"
    else:
        hint = "shorten or split it"
    return f"{what} runs {overflow.amount:.0f} px past its box: {hint}"
