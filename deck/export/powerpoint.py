"""The deck as an editable PowerPoint file (python-pptx), 16:9, one PowerPoint slide per deck slide in
its final state.

Text stays text: the title in the title placeholder, paragraphs and lists as paragraphs (levels
kept), tables as tables, code as a monospace text box in its highlighting colours with the computed
values marked. Figures and displayed math are pictures (resvg, at projector resolution) with their alt
text; inline math is written in Unicode (pylatexenc). Speaker notes go to the notes pane. What a
PowerPoint slide cannot carry (callouts, code steps, steps in general) is shown in its final state,
and the build says so once per deck.

The slide is laid out top to bottom (columns side by side) at the deck's own sizes: the deck's
960 x 540 CSS px page is 960 x 540 pt here. The file is the same bytes from one build to the next:
fixed zip dates and document properties (pptx_zip.py).
"""
from __future__ import annotations

import io
from typing import Callable

from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.util import Pt

from ..document import Deck, Slide
from ..shared.locale import format_date
from ..source.slides import shown_title
from . import blocks as B
from .pptx_zip import reproducible

WIDTH, HEIGHT = 960, 540            # pt, as the deck's CSS px
MARGIN_X, TOP, BOTTOM = 56, 84, 504  # the body's box under the title
GAP = 10
THEMES = {
    "default": {"primary": "1f3a5f", "accent": "e4572e", "ink": "1b2433", "muted": "556070"},
    "meteofrance": {"primary": "000091", "accent": "e1000f", "ink": "161616", "muted": "555555", "teal": "0063cb"},
}
BODY_FONT, CODE_FONT = "Arial", "Consolas"


def pptx_bytes(deck: Deck, project_root, warn: Callable[[str], None] | None = None) -> bytes:
    """The PowerPoint file of the executed deck (as the version to export shows it)."""
    from pptx import Presentation

    prs = Presentation()
    prs.slide_width, prs.slide_height = Pt(WIDTH), Pt(HEIGHT)
    colours = THEMES.get(deck.front_matter.get("theme", "default"), THEMES["default"])
    lost: dict[str, int] = {}
    for slide in deck.slides:
        if slide.kind == "title":
            _title_slide(prs, deck, colours)
        else:
            body, notes = B.slide_blocks(deck, slide, project_root, lost)
            _content_slide(prs, slide, body, notes, colours)
    if lost and warn is not None:
        said = ", ".join(f"{what} ({n} cell{'s' * (n > 1)})" for what, n in sorted(lost.items()))
        warn(f"{deck.path.name}: the PowerPoint file shows each slide in its final state, without {said}")
    _properties(prs, deck)
    out = io.BytesIO()
    prs.save(out)
    return reproducible(out.getvalue())


def _properties(prs, deck: Deck) -> None:
    import datetime as dt

    from ..render.documents import source_date

    core = prs.core_properties
    meta = deck.front_matter
    core.title = str(meta.get("title") or deck.name)
    core.author = core.last_modified_by = str(meta.get("author") or "")
    core.subject = str(meta.get("subtitle") or "")
    core.language = deck.lang
    core.revision = 1
    stamp = source_date() or (f"{meta['date']}T00:00:00Z" if meta.get("date") else "2000-01-01T00:00:00Z")
    when = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    core.created = core.modified = when
    core.last_printed = when


# Themes whose title page shows an institution block: `institution` and `organisation` (a course's
# shared settings) are their State identity; the default theme's page is neutral, in pptx too.
IDENTITY_THEMES = ("meteofrance",)


def _title_slide(prs, deck: Deck, colours: dict) -> None:
    meta = deck.front_matter
    page = prs.slides.add_slide(prs.slide_layouts[0])
    title, subtitle = page.placeholders[0], page.placeholders[1]
    title.left, title.top, title.width, title.height = Pt(72), Pt(150), Pt(816), Pt(120)
    subtitle.left, subtitle.top, subtitle.width, subtitle.height = Pt(72), Pt(280), Pt(816), Pt(150)
    title.text = str(meta.get("title") or deck.name)
    _style_text(title.text_frame, 44, colours["primary"], bold=True)
    lines = [str(meta["subtitle"])] if meta.get("subtitle") else []
    who = [str(meta[k]) for k in ("author", "place") if meta.get(k)]
    if meta.get("date"):
        who.append(format_date(meta["date"], deck.lang))
    lines += [" · ".join(who)] if who else []
    if meta.get("theme", "default") in IDENTITY_THEMES:  # as the deck's title page (title_<theme>.html.j2)
        lines += [" ".join(map(str, meta["institution"]))] if meta.get("institution") else []
        lines += [str(meta["organisation"])] if meta.get("organisation") else []
    subtitle.text = "\n".join(lines)
    _style_text(subtitle.text_frame, 26, colours["ink"])
    _bar(page, 48, 150, 8, 280, colours["accent"])  # the title page's accent rule, as on the deck's
    _bar(page, 0, HEIGHT - 14, WIDTH, 14, colours["primary"])


# A long title ("Une erreur classique : une grille qui ne se divise pas par 16") wrapped to a second
# line that ran over the accent bar under it: it is made smaller to keep one line, down to the size of
# a heading, and only then given two lines, the bar kept clear of them.
TITLE_SIZE, TITLE_MIN, TITLE_WIDTH, TITLE_BAR = 34.0, 24.0, WIDTH - 2 * MARGIN_X, 78
TITLE_ADVANCE = 0.53  # em: bold Arial's average advance in words (0.5) and a margin


def title_size(text: str) -> tuple[float, int]:
    """(font size in pt, lines) at which a slide's title fits its box."""
    room = 0.95 * TITLE_WIDTH / (TITLE_ADVANCE * max(len(text), 1))
    if room >= TITLE_SIZE:
        return TITLE_SIZE, 1
    if room >= TITLE_MIN:
        return float(int(room)), 1
    return TITLE_MIN, 2


def _style_text(frame, size: float, colour: str, bold: bool = False) -> None:
    for p in frame.paragraphs:
        p.alignment = 1  # left
        for r in p.runs:
            r.font.size, r.font.bold, r.font.name = Pt(size), bold, BODY_FONT
            r.font.color.rgb = RGBColor.from_string(colour)


def _bar(page, left: float, top: float, width: float, height: float, colour: str) -> None:
    from pptx.enum.shapes import MSO_SHAPE

    bar = page.shapes.add_shape(MSO_SHAPE.RECTANGLE, Pt(left), Pt(top), Pt(width), Pt(height))
    bar.fill.solid()
    bar.fill.fore_color.rgb = RGBColor.from_string(colour)
    bar.line.fill.background()
    bar.shadow.inherit = False


def _content_slide(prs, slide: Slide, body: list, notes: list[str], colours: dict) -> None:
    page = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only": the title stays a title
    title = page.shapes.title
    text = shown_title(slide)  # an inline expression gives its value, as on the page
    size, lines = title_size(text)
    top = 18 if lines == 1 else 10
    title.left, title.top, title.width, title.height = Pt(MARGIN_X), Pt(top), Pt(TITLE_WIDTH), Pt(TITLE_BAR - 4 - top)
    title.text_frame.text = text
    title.text_frame.word_wrap = True
    title.text_frame.auto_size = MSO_AUTO_SIZE.NONE  # the size chosen here, not the layout's shrink-on-overflow
    _style_text(title.text_frame, size, colours["primary"], bold=True)
    _bar(page, MARGIN_X, TITLE_BAR, 120, 3, colours["accent"])
    _bar(page, 0, HEIGHT - 6, WIDTH, 6, colours.get("teal", colours["primary"]))
    if "teal" in colours:  # meteofrance: the blue, white and red band across the top, as the deck's slides
        for k, colour in enumerate((colours["primary"], "ffffff", colours["accent"])):
            _bar(page, k * WIDTH / 3, 0, WIDTH / 3, 6, colour)
    from .layout import place

    place(page, body, MARGIN_X, TOP, WIDTH - 2 * MARGIN_X, BOTTOM - TOP, colours)
    if notes:
        page.notes_slide.notes_text_frame.text = "\n".join(notes)
