"""Slides that do not fit their 16:9 page, found from WeasyPrint's real layout.

Too tall: the slide's section spills onto extra pages, or (a slide laid out as a flex column, which
WeasyPrint does not split across pages) a box ends in the page's bottom margin (the slide content's
bottom padding, where the slide's number sits; the last block's own bottom margin is empty room).
Too wide: a line of a cell's code or output (code never wraps) ends past its box, which may sit in a column far from the
page's edge; any other text ends past the right edge of the page. All are invisible to the audience
in the HTML deck (clipped) or spill over their neighbours, so they are reported: a cell's at the
cell (the print document marks each cell with `data-cell`, its index in the deck), the rest at the
slide.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

PAGE_WIDTH = 960
TOLERANCE = 0.5  # px: rounding in the layout, not an overflow
SMALL_CODE = 0.85 # `#| code-size: small`: the code's font size relative to normal (base.css)
PAGE_HEIGHT = 540
#: the smallest text a figure may show, in slide px: the back row's 2.8 % of the slide's height (as
#: figures/legibility.py MIN_TEXT_PX, which sizes deck's own figures before layout)
MIN_FIGURE_TEXT = 0.028 * PAGE_HEIGHT
_FONT_SIZE = re.compile(r"font-size:\s*([\d.]+)px")


@dataclass
class Overflow:
    slide: int
    kind: str      # "height" | "bottom" | "width" | "code"
    amount: float  # extra pages, or px past the bottom or the right edge (of the page, or of the cell's box)
    cell: int | None = None     # code: the cell's index in the deck
    line: int | None = None     # code: the 0-based line of the displayed code (None: its output)
    small_fits: bool = False    # code: `code-size: small` would make the line fit
    pre: bool = True            # code: in the cell's code or printed text (not a table or a figure)
    text: str = ""              # figure text: the smallest text of the figure


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
    small_text: dict[tuple[int, int | None], Overflow] = {}
    current = 0
    for page in document.pages:
        ids = [a for a in page.anchors if a.startswith("page-")]
        if ids:
            current = int(ids[0].split("-")[1])
        counts[current] = counts.get(current, 0) + 1
        lowest[current] = max(lowest.get(current, 0.0), _lowest(page._page_box))
        for px, text, cell in _figure_texts(page._page_box):  # as laid out: in a column, a figure is smaller
            if px < MIN_FIGURE_TEXT - 0.05 and ((current, cell) not in small_text or px < small_text[(current, cell)].amount):
                small_text[(current, cell)] = Overflow(current, "text", px, cell, pre=False, text=text)
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
    per_cell: dict[tuple[int, int | None], Overflow] = {}
    for o in code.values():
        if (o.slide, o.cell) not in per_cell or o.amount > per_cell[(o.slide, o.cell)].amount:
            per_cell[(o.slide, o.cell)] = o
    return found + sorted(per_cell.values(), key=lambda o: (o.slide, o.cell)) + list(small_text.values())


def _figure_texts(page_box):
    """(smallest text in slide px, that text, cell index) of every figure drawn on the page: the font
    sizes written in its SVG times the scale it is drawn at (its laid-out box over its viewBox)."""
    stack = [(page_box, _Box())]
    while stack:
        box, where = stack.pop()
        tag = getattr(box, "element_tag", "") or ""
        if type(box).__name__.endswith("ReplacedBox") and tag.endswith("svg"):
            found = _svg_smallest(box)
            if found is not None:
                yield found[0], found[1], where.cell
            continue
        where = _entering(box, where)
        stack.extend((child, where) for child in getattr(box, "children", ()) or ())


def _svg_smallest(box) -> tuple[float, str] | None:
    element = box.element
    view = (element.get("viewBox") or "").split()
    if "math" in (element.get("class") or "").split() or len(view) != 4 or float(view[2]) <= 0 or float(view[3]) <= 0:
        return None  # a formula is text of the slide's size; a drawing without a viewBox is not a figure
    scale = min(box.width / float(view[2]), box.height / float(view[3]))
    sizes = [(float(m.group(1)), "".join(t.itertext()).strip()) for t in element.iter()
             if str(t.tag).endswith("text") and (m := _FONT_SIZE.search(t.get("style") or ""))]
    sizes = [(size, text) for size, text in sizes if text]
    if not sizes:
        return None
    size, text = min(sizes)
    return size * scale, text


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
        bottom = max(bottom, b.border_box_y() + b.border_height() - _trailing_margin(b))
        stack.extend(getattr(b, "children", ()) or ())
    return bottom


def _trailing_margin(box) -> float:
    """How much of a box's height is only its last child's bottom margin, kept inside it by its
    padding (the slide's content box): empty room, which runs into the page's bottom margin unseen.
    Only when nothing but that margin follows the child (a flex column's content left out counts)."""
    children = getattr(box, "children", ()) or ()
    if not children or not hasattr(box, "content_box_y"):
        return 0.0
    last = children[-1]
    if not hasattr(last, "border_box_y"):
        return 0.0
    gap = box.content_box_y() + box.height - (last.border_box_y() + last.border_height())
    margin, child = 0.0, last
    while child is not None:  # margins that collapse through a child's bottom edge are its margin too
        margin = max(margin, getattr(child, "margin_bottom", 0.0) or 0.0)
        grand = getattr(child, "children", ()) or ()
        padded = bool(getattr(child, "padding_bottom", None) or getattr(child, "border_bottom_width", None))
        if not grand or padded:
            break
        child = grand[-1]
    return gap if 0 < gap <= margin + TOLERANCE else 0.0


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
        return (f"slide {overflow.slide} does not fit its page: its content runs {overflow.amount:.0f} px "
                "into the bottom margin of the page")
    if overflow.kind == "width":
        return f"slide {overflow.slide} does not fit its page: a line runs {overflow.amount:.0f} px past the right edge"
    if overflow.kind == "text":
        return (f"this cell's figure shows text {overflow.amount:.1f} px high on its slide ({overflow.text!r}), under "
                f"the {MIN_FIGURE_TEXT:.1f} px (2.8 % of the slide's height) the back row reads: make its text larger, "
                "or give the figure more room")
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


# --- code that grows into the room its slide leaves --------------------------------------------------
# A slide whose content is code and a little prose would show its code at the theme's 3.3 % (18 px)
# with half the page empty, the results it computes the smallest text on it. Such a slide's cells
# get a larger size, up to body text, chosen before layout (the HTML deck and the PDF are one
# document: both get it) from what is known exactly: JetBrains Mono's advance (0.6 em) and line
# height (1.4 em, base.css), the prose estimated on the wide side. Slides with anything whose height
# is not known (figures, tables, math, columns, HTML) keep the theme's size; what the estimate
# misses, the layout check above still reports.
MONO_ADVANCE = 0.6        # em: JetBrains Mono's glyph advance (600 of 1000 units)
CODE_LINE = 1.4           # line-height of pre.code / pre.output (base.css)
PROSE_LINE = 1.3
FILL = 0.95               # of the free height: what the estimate does not know keeps room
_GROWABLE_OPEN = ("paragraph_open", "bullet_list_open", "ordered_list_open", "list_item_open",
                  "deck_step_open", "container_answer_open", "container_incremental_open")


@dataclass(frozen=True)
class _Theme:
    text: float   # px: body text (--text-size), the cap
    code: float   # px: --code-size
    small: float  # px: --small-size (callout labels)
    content_w: float
    content_h: float  # the slide's height less its paddings and its title


@functools.lru_cache(maxsize=1)
def _theme() -> _Theme:
    import re
    from pathlib import Path

    css = (Path(__file__).parent / "themes" / "base.css").read_text(encoding="utf-8")

    def px(pattern: str) -> list[float]:
        m = re.search(pattern, css)
        if m is None:
            raise RuntimeError(f"base.css: {pattern!r} not found (deck's own bug)")
        return [float(g) for g in m.groups()]

    text, code, small = (px(rf"--{name}-size:\s*([\d.]+)px") for name in ("text", "code", "small"))
    top, right, bottom, left = px(r"\.slide-content \{[^}]*padding: ([\d.]+)px ([\d.]+)px ([\d.]+)px ([\d.]+)px")
    title_size, title_margin, title_line = px(
        r"h2\.slide-title \{ font-size: ([\d.]+)px;[^}]*margin: 0 0 ([\d.]+)px 0; line-height: ([\d.]+);")
    return _Theme(text[0], code[0], small[0], PAGE_WIDTH - left - right,
                  PAGE_HEIGHT - top - bottom - title_size * title_line - title_margin)


def _cell_rows(cell, size: float, width: float) -> tuple[float, float]:
    """(rows of text, widest unwrapped line in px) of a cell's code and printed output at ``size``."""
    code = cell.display or cell.code if cell.options.echo else ""
    widest = 0.0
    rows: float = 0
    lines = code.split("\n") if code else []
    extra = {r.line: max(0, len(r.text) - (r.end - r.start)) for r in cell.replacements}
    for i, line in enumerate(lines):
        widest = max(widest, (len(line) + extra.get(i, 0)) * MONO_ADVANCE * size)
    rows += len(lines) + _callout_px(cell, lines) / (CODE_LINE * size)
    per_row = max(1, int(width // (MONO_ADVANCE * size)))
    for out in cell.outputs:  # printed text wraps (pre-wrap) at the box's width
        rows += sum(-(-max(1, len(line)) // per_row) for line in out.content.rstrip("\n").split("\n"))
    return rows, widest


def _callout_px(cell, lines: list[str]) -> float:
    """The room (px) that callout labels take under their lines (render/highlight.py)."""
    from .highlight import CALLOUT_GAP, CALLOUT_ROOM, CALLOUT_ROW

    per_line: dict[int, int] = {}
    for span in cell.options.callouts:
        i = next((k for k, line in enumerate(lines) if span in line), None)
        if i is not None:
            per_line[i] = per_line.get(i, 0) + 1
    small = _theme().small
    return sum(small * (CALLOUT_ROOM + (n - 1) * CALLOUT_ROW) + CALLOUT_GAP for n in per_line.values())


def _prose_height(tokens) -> float | None:
    """Height in px of the prose among a slide's tokens, or None if something has no known height.
    Every step page shows what the steps before it showed (an answer block joins on a later step),
    so the tallest page is the last one: all of it counts."""
    theme = _theme()
    height = 0.0
    depth = 0  # lists open around the current token: each indents its items by base.css's padding
    in_title = tight = False
    for tok in tokens:
        if tok.type in ("heading_open", "heading_close") and tok.tag == "h1":  # the title: in content_h
            in_title = tok.type == "heading_open"
            continue
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            height += LIST_MARGIN if depth == 0 else 0  # a nested list has no bottom margin
            continue
        elif tok.type == "container_answer_open":
            height += ANSWER_ROOM
        if in_title or tok.type.endswith("_close"):
            continue
        if tok.type == "fence" and tok.meta.get("cell") is not None:
            continue
        if tok.type == "inline":
            if any(c.type in ("math_inline", "image", "html_inline") for c in tok.children or []):
                return None
            if tok.content.strip():
                width = theme.content_w - depth * LIST_INDENT * theme.text
                lines = _wrapped_lines(_words(tok, theme.text), width)
                # a paragraph's bottom margin, or in a tight list its item's (2 px either side)
                gap = ITEM_MARGIN if depth and tight else PARAGRAPH_MARGIN
                height += lines * PROSE_LINE * theme.text + gap
            continue
        if tok.type == "paragraph_open":  # hidden: a tight list item's text, no margin of its own
            tight = tok.hidden
        if tok.type not in _GROWABLE_OPEN:
            return None
    return height


PARAGRAPH_MARGIN = 12.0   # .slide p { margin: 0 0 12px 0 }
LIST_MARGIN = 12.0        # .slide ul, .slide ol { margin: 0 0 12px 0 }
LIST_INDENT = 1.05        # em: .slide ul, .slide ol { padding-left: 1.05em }
ITEM_MARGIN = 4.0         # .slide li { margin: 2px 0 }, counted both sides
ANSWER_ROOM = 20.0        # .answer-block: margin 6px 0 10px, padding 2px 0
INLINE_CODE = 0.8         # em: .slide code's size
INLINE_CODE_PAD = 6.0     # px: its padding, 3 px either side
WIDTH_SLACK = 1.03        # the advances are exact; kerning, hinting and fallbacks are not known


@functools.lru_cache(maxsize=4)
def _advances(weight: int) -> tuple[dict[int, float], float]:
    """({code point: advance in em}, the widest advance) of Source Sans 3 at ``weight``, read once
    from the theme's own font file."""
    from fontTools.ttLib import TTFont

    from ..shared.svg import FONT_DIR

    path = FONT_DIR / f"source-sans-3-latin-{weight}-normal.woff"
    font = TTFont(str(path), lazy=True)
    units = font["head"].unitsPerEm
    hmtx = font["hmtx"].metrics
    widths = {cp: hmtx[name][0] / units for cp, name in font.getBestCmap().items()}
    font.close()
    return widths, max(widths.values())


def _words(inline, size: float) -> list[tuple[float, float]]:
    """(width of the word, width of the space after it) in px, the words of a line of prose in
    order; a computed value and inline code do not break (.computed is nowrap), nor does a
    non-breaking space."""
    words: list[tuple[float, float]] = []
    current = 0.0
    weight = 400

    def text_width(text: str) -> float:
        widths, widest = _advances(weight)
        return sum(widths.get(ord(c), widest) for c in text) * size * WIDTH_SLACK

    def add(text: str) -> None:
        nonlocal current
        parts = text.split(" ")
        for k, part in enumerate(parts):
            if k:
                words.append((current, text_width(" ")))
                current = 0.0
            current += text_width(part)

    for child in inline.children or []:
        if child.type == "strong_open":
            weight = 700
        elif child.type == "strong_close":
            weight = 400
        elif child.type in ("softbreak", "hardbreak"):
            if child.type == "hardbreak":  # the next word starts a line: a word as wide as the line
                words.append((current, 0.0))
                words.append((float("inf"), 0.0))
                current = 0.0
            else:
                add(" ")
        elif child.type == "code_inline":
            expr = child.meta.get("expr")
            if expr is not None and expr.text:
                current += text_width(expr.text)  # the value shown, in the prose's font
            else:
                current += len(child.content) * MONO_ADVANCE * INLINE_CODE * size + INLINE_CODE_PAD
        else:
            add(child.content)
    words.append((current, 0.0))
    return [w for w in words if w[0] > 0]


def _wrapped_lines(words: list[tuple[float, float]], width: float) -> int:
    """Lines a greedy word wrap at ``width`` px makes; a word wider than the line takes its own
    lines (it would run past the edge, counted as if it wrapped)."""
    lines, used = 0, 0.0
    for word, space in words:
        if word == float("inf"):
            used = width  # a hard break: the next word opens a line
            continue
        if lines and used + word <= width:
            used += word + space
            continue
        lines += max(1, -(-int(word) // max(1, int(width)))) if word > width else 1
        used = (word if word <= width else width) + space
    return lines


def _slide_cells(tokens) -> list:
    """The cells of a slide (its body tokens), in order."""
    return [t.meta["cell"] for t in tokens if t.type == "fence" and t.meta.get("cell") is not None]


def _cell_boxes(cell, size: float, width: float) -> tuple[float, float]:
    """(height in px of a cell's code and output boxes, its margin not counted; its widest unwrapped
    line in px) at code ``size``, its printed text wrapping at ``width``."""
    rows, widest = _cell_rows(cell, size, width)
    return rows * CODE_LINE * size + CODE_BOX * (1 + len(cell.outputs)), widest


def code_sizes(tokens) -> dict[int, float]:
    """{cell index: font size in px} for the cells of a slide (its body tokens) whose code may grow:
    the largest whole size up to body text at which every cell's lines fit their box's width and the
    slide's estimated height fits its page; empty when nothing grows."""
    cells = [c for c in _slide_cells(tokens) if c.options.echo or c.outputs]
    if not cells or any(c.options.code_size == "small" or any(o.kind not in ("text", "error") for o in c.outputs)
                        for c in cells):
        return {}
    prose = _prose_height(tokens)
    if prose is None:
        return {}
    theme = _theme()
    box_w = theme.content_w - 2 * 12 - 2  # pre's padding and border
    for size in range(int(theme.text), int(theme.code), -1):
        height, fits = prose, True
        for c in cells:
            boxes, widest = _cell_boxes(c, size, box_w)
            steps = 24 if c.code_steps else 0  # a stepped line's band takes the padding and a 4-px edge
            # a character's width clear of the box's edge: a line that ends at it reads as cut
            fits = fits and widest + steps <= box_w - MONO_ADVANCE * size
            height += boxes + CELL_MARGIN
        if fits and height <= FILL * theme.content_h:
            return {c.index: float(size) for c in cells}
    return {}


# --- the room a cell's figure has -------------------------------------------------------------------
# A figure takes the height its slide's column leaves it (base.css: `.figure` is `flex: 1 1 0`), so a
# figure under code is smaller than one under a title alone. Before a cell runs, what is known of its
# slide is its prose and the code of its cells: the room left is estimated from them, and figure
# builders size their text for it (deck.shared.svg `figure_room`). What the estimate misses (other
# cells' outputs) the layout check above still reports.
CELL_MARGIN = 16.0        # .cell { margin: 4px 0 12px }
FIGURE_MARGIN = 8.0       # .figure { margin: 4px 0 }
CODE_BOX = 2 * 8 + 2      # pre.code's padding (8 px top and bottom) and border (1 px)
CAPTION_GAP = 4.0         # .figure.captioned > figcaption { margin-top: 4px }


@functools.lru_cache(maxsize=16)
def _title_decoration(theme: str) -> float:
    """px a theme puts under its slides' titles (a padding and a border below: the default theme's
    underline), which `_theme().content_h` (base.css only) does not count."""
    from .assets import theme_rules

    extra = 0.0
    for rule in re.finditer(r"h2\.slide-title[^{}]*\{([^}]*)\}", theme_rules(theme)):
        below = [re.search(rf"{name}:\s*([\d.]+)px", rule.group(1)) for name in ("padding-bottom", "border-bottom")]
        extra = max(extra, sum(float(m.group(1)) for m in below if m))
    return extra


def figure_rooms(tokens, theme: str = "default") -> dict[int, float | None]:
    """{cell index: height in slide px a figure shown by the cell has} for the cells of a slide
    (``tokens``: its body) in the deck's ``theme``, from what is known before the cells run: the
    slide's content height less its prose, the code of its echoed cells and the margins, the figure's
    caption; None where the prose's height is not known (columns, math, tables, images, HTML, or a
    value written by an expression, which has not run). The prose is measured once for the slide."""
    cells = _slide_cells(tokens)
    if not cells:
        return {}
    if any(c.type == "code_inline" and c.meta.get("expr") is not None
           for t in tokens if t.type == "inline" for c in t.children or []):
        return {cell.index: None for cell in cells}
    prose = _prose_height(tokens)
    if prose is None:
        return {cell.index: None for cell in cells}
    start = prose + FIGURE_MARGIN + _title_decoration(theme)
    theme_px = _theme()
    box_w = theme_px.content_w - 2 * 12 - 2  # pre's padding and border (what printed text wraps at)
    code: dict[int, float] = {}  # each echoed cell's code box (by id): the same for every cell's figure
    for c in cells:
        if c.options.echo and c.code:
            size = theme_px.code * (SMALL_CODE if c.options.code_size == "small" else 1.0)
            code[id(c)] = _cell_boxes(c, size, box_w)[0]
    rooms: dict[int, float | None] = {}
    for cell in cells:
        used = start
        for c in cells:
            if c is not cell and not c.options.echo:
                continue  # what it shows is not known before it runs; a hidden set-up cell takes no room
            used += CELL_MARGIN
            if c.options.echo and c.code:
                used += code[id(c)]
        if cell.options.caption:
            used += PROSE_LINE * theme_px.small + CAPTION_GAP
        rooms[cell.index] = round(max(0.0, theme_px.content_h - used), 1)
    return rooms
