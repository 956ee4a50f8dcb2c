"""Blocks placed on a PowerPoint slide, top to bottom, at the deck's sizes (pt = the deck's CSS px):
text 26 pt, code 16 pt, tables 20 pt. Heights are estimated from the text's length (PowerPoint lays
text out itself); when the blocks do not fit, pictures shrink first (down to a fifth of the slide, as
on the deck's page), then every size by the same factor."""
from __future__ import annotations

import math

from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Pt

from . import blocks as B

TEXT, CODE, TABLE = 26.0, 18.0, 20.0
LINE = 1.2           # line height, in font sizes
CHAR_W, MONO_W = 0.5, 0.6   # average advance of a character, in font sizes (Arial, Consolas)
GAP = 10.0
MIN_PICTURE = 108.0  # as the deck's figures (render/themes/base.css: min-height)
MAX_PICTURE = 330.0  # shared.svg.FIGURE_MAX_HEIGHT_PX
CODE_PAD = 8.0
CODE_BG, CODE_BORDER, OUTPUT_BG = "f4f6fa", "d9dfe8", "ffffff"
BODY_FONT, CODE_FONT = "Arial", "Consolas"


def place(page, blocks: list, x: float, y: float, width: float, height: float, colours: dict) -> None:
    scale = 1.0
    for _ in range(12):  # shrink until it fits (or cannot usefully shrink further)
        plan = _plan(blocks, width, height, scale)
        if sum(h for _, h in plan) + GAP * (len(plan) - 1) <= height or scale <= 0.55:
            break
        scale *= 0.92
    for block, h in plan:
        _draw(page, block, x, y, width, h, scale, colours)
        y += h + GAP


def _plan(blocks: list, width: float, height: float, scale: float) -> list[tuple[object, float]]:
    """Each block with its height; pictures take what the others leave, between their bounds."""
    fixed = [(b, _height(b, width, scale)) for b in blocks]
    pictures = [b for b in blocks if isinstance(b, B.Picture)]
    if not pictures:
        return fixed
    left = height - sum(h for b, h in fixed if not isinstance(b, B.Picture)) - GAP * (len(blocks) - 1)
    share = max(MIN_PICTURE * scale, left / len(pictures))
    return [(b, min(h, share) if isinstance(b, B.Picture) else h) for b, h in fixed]


def _height(block, width: float, scale: float) -> float:
    if isinstance(block, B.Text):
        size = TEXT * scale
        return sum(_lines(p, width - _indent(p, size), size) * size * LINE + size * 0.3 for p in block.paras)
    if isinstance(block, B.Code):
        size = code_size(block, width, scale)
        rows = sum(_wrapped(line, width - 2 * CODE_PAD, size) for line in block.lines)
        return rows * size * LINE + 2 * CODE_PAD
    if isinstance(block, B.Table):
        size = TABLE * scale
        return len(block.rows) * size * (LINE + 0.6)
    if isinstance(block, B.Picture):
        from .raster import em_height, svg_size

        w, h = svg_size(block.svg)
        if block.math:  # as tall as the deck draws it beside its text, or less if it is too wide
            return min((em_height(block.svg) or 2.0) * TEXT * scale, width * h / w)
        return min(width * h / w, MAX_PICTURE)
    if isinstance(block, B.Columns):
        return max((sum(_height(b, w, scale) + GAP for b in col) - GAP
                    for (_, col), w in zip(block.columns, column_widths(block, width))), default=0)
    return 0.0


def _lines(p: B.Para, width: float, size: float) -> int:
    chars = sum(len(r.text) * (MONO_W if r.mono else CHAR_W) for r in p.runs) * size
    return max(1, math.ceil(chars / max(width, 1)))


def _indent(p: B.Para, size: float) -> float:
    return (p.level + 1) * size * 1.1 if p.bullet else 0.0


def code_size(block: B.Code, width: float, scale: float) -> float:
    """The code's font size: the deck's (grown where its slide leaves room, as on the page), smaller if
    its longest line would not fit the box's width (an output is not made smaller: its long lines
    wrap, as an error message does on the slide)."""
    longest = max((sum(len(r.text) for r in line) for line in block.lines), default=1)
    fits = (width - 2 * CODE_PAD) / max(longest, 1) / MONO_W
    size = min(block.grown or CODE, TEXT) * scale  # grown: at most the text's size, as on the page
    return size * 0.9 if block.output else min(size, fits)


def _wrapped(line: list, width: float, size: float) -> int:
    """How many rows a line of code or output takes in a box `width` wide."""
    return max(1, math.ceil(sum(len(r.text) for r in line) * MONO_W * size / max(width, 1)))


def column_widths(block: B.Columns, width: float) -> list[float]:
    given = sum(w for w, _ in block.columns if w)
    free = [w for w, _ in block.columns if not w]
    rest = max(0.0, 100.0 - given) / len(free) if free else 0.0
    usable = width - GAP * (len(block.columns) - 1)
    return [usable * (w or rest) / 100.0 for w, _ in block.columns]


def _draw(page, block, x: float, y: float, width: float, height: float, scale: float, colours: dict) -> None:
    if isinstance(block, B.Text):
        _text(page, block, x, y, width, height, TEXT * scale, colours)
    elif isinstance(block, B.Code):
        _code(page, block, x, y, width, height, code_size(block, width, scale))
    elif isinstance(block, B.Table):
        _table(page, block, x, y, width, height, TABLE * scale, colours)
    elif isinstance(block, B.Picture):
        _picture(page, block, x, y, width, height)
    elif isinstance(block, B.Columns):
        for (_, col), w in zip(block.columns, column_widths(block, width)):
            top = y
            for b in col:
                h = min(_height(b, w, scale), y + height - top)
                _draw(page, b, x, top, w, h, scale, colours)
                top += h + GAP
            x += w + GAP


def _box(page, x: float, y: float, width: float, height: float):
    box = page.shapes.add_textbox(Pt(x), Pt(y), Pt(width), Pt(max(height, 1)))
    frame = box.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE  # the box keeps the place it was given
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = Pt(0)
    return box, frame


def _runs(paragraph, runs: list[B.Run], size: float, ink: str) -> None:
    for r in runs:
        run = paragraph.add_run()
        run.text = r.text
        font = run.font
        font.size, font.bold, font.italic = Pt(size), r.bold, r.italic
        font.name = CODE_FONT if r.mono else BODY_FONT
        font.color.rgb = RGBColor.from_string(r.colour or ink)
        if r.highlight:
            _highlight(run, r.highlight)


def _highlight(run, colour: str) -> None:
    """A run's background colour (DrawingML `a:highlight`, which python-pptx has no property for)."""
    from lxml import etree
    from pptx.oxml.ns import qn

    rpr = run._r.get_or_add_rPr()
    mark = etree.SubElement(rpr, qn("a:highlight"))
    etree.SubElement(mark, qn("a:srgbClr")).set("val", colour)
    # a:highlight goes after the fill and before the fonts in rPr's sequence
    fonts = [c for c in rpr if c.tag in (qn("a:latin"), qn("a:ea"), qn("a:cs"), qn("a:sym"))]
    if fonts:
        fonts[0].addprevious(mark)


def _text(page, block: B.Text, x, y, width, height, size: float, colours: dict) -> None:
    _, frame = _box(page, x, y, width, height)
    for k, p in enumerate(block.paras):
        paragraph = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        paragraph.level = min(p.level, 8)
        paragraph.space_after = Pt(size * 0.3)
        paragraph.line_spacing = Pt(size * LINE)
        _bullet(paragraph, p, size)
        _runs(paragraph, p.runs, size * (1.05 if p.heading else 1.0), colours["ink"])


def _bullet(paragraph, p: B.Para, size: float) -> None:
    from lxml import etree
    from pptx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    if not p.bullet:
        etree.SubElement(ppr, qn("a:buNone"))
        return
    indent = size * 1.1
    ppr.set("marL", str(Pt((p.level + 1) * indent)))
    ppr.set("indent", str(-Pt(indent)))
    if p.bullet == "•":
        etree.SubElement(ppr, qn("a:buChar")).set("char", "•")
    else:
        etree.SubElement(ppr, qn("a:buAutoNum")).set("type", "arabicPeriod")


def _code(page, block: B.Code, x, y, width, height, size: float) -> None:
    box, frame = _box(page, x, y, width, height)
    pad = Pt(CODE_PAD)
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = pad
    box.fill.solid()
    box.fill.fore_color.rgb = RGBColor.from_string(OUTPUT_BG if block.output else CODE_BG)
    box.line.color.rgb = RGBColor.from_string(CODE_BORDER)
    box.line.width = Pt(1)
    for k, line in enumerate(block.lines):
        paragraph = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        paragraph.line_spacing = Pt(size * LINE)  # exact: the height estimated is the height drawn
        _runs(paragraph, line or [B.Run("", mono=True)], size, "1b2433")


def _table(page, block: B.Table, x, y, width, height, size: float, colours: dict) -> None:
    n_cols = max(sum(block.spans.get((i, j), 1) for j in range(len(r))) for i, r in enumerate(block.rows))
    shape = page.shapes.add_table(len(block.rows), n_cols, Pt(x), Pt(y), Pt(width), Pt(height))
    table = shape.table
    table.first_row = block.header
    for i, row in enumerate(block.rows):
        header = block.header and i == 0
        column = 0
        for j in range(n_cols):
            cell = table.cell(i, j)
            cell.margin_top = cell.margin_bottom = Pt(size * 0.2)
            if header:
                cell.fill.solid()
                cell.fill.fore_color.rgb = RGBColor.from_string(colours["primary"])
        for j, runs in enumerate(row):  # each cell of the source at its column, over those it spans
            span = min(block.spans.get((i, j), 1), n_cols - column)
            if column >= n_cols:
                break
            cell = table.cell(i, column)
            if span > 1:
                cell.merge(table.cell(i, column + span - 1))
            paragraph = cell.text_frame.paragraphs[0]
            _runs(paragraph, runs, size, "ffffff" if header else colours["ink"])
            if (i, j) in block.right:  # numbers line up on their last digit, as on the page
                paragraph.alignment = PP_ALIGN.RIGHT
            column += span


def _picture(page, block: B.Picture, x, y, width, height) -> None:
    import io

    from .raster import png, svg_size

    w, h = svg_size(block.svg)
    draw_w = min(width, height * w / h)
    draw_h = draw_w * h / w
    from .powerpoint import WIDTH

    data = png(block.svg, draw_w / WIDTH)
    left = x + (width - draw_w) / 2  # centred in its column, as the deck's figures
    pic = page.shapes.add_picture(io.BytesIO(data), Pt(left), Pt(y), Pt(draw_w), Pt(draw_h))
    pic._element.nvPicPr.cNvPr.set("descr", block.alt or "")
