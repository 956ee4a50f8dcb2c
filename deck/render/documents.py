"""Whole documents from rendered slides: the interactive HTML deck and the page-per-step print
document that WeasyPrint lays out. Page templates are Jinja with autoescaping."""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from ..document import Deck, Slide
from ..errors import DeckError
from ..shared.locale import format_date
from ..source.slides import shown_title
from .assets import font_css, runtime_file, theme_css, theme_rules
from .highlight import pygments_css
from .html import RenderedSlide, render_slide
from .steps import step_css

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_slides(deck: Deck, project_root: Path, cache_dir: Path | None = None,
                  errors: list | None = None) -> list[RenderedSlide]:
    """Each slide of the executed deck as HTML, with its notes and step count. With `errors`, a slide
    that cannot be rendered (bad math, a missing image) adds its error there instead of stopping."""
    rendered = []
    for slide in deck.slides:
        try:
            rendered.append(render_one(deck, slide, project_root, cache_dir))
        except DeckError as err:
            if errors is None:
                raise
            errors.append(err)
            rendered.append(RenderedSlide(slide.index, shown_title(slide), "", "", slide.steps, slide.kind))
    return rendered


def render_one(deck: Deck, slide: Slide, project_root: Path, cache_dir: Path | None = None) -> RenderedSlide:
    """One slide of the executed deck as HTML (once its cells have run)."""
    if slide.kind == "title":
        html, notes = title_html(deck), ""
    else:
        html, notes = render_slide(deck, slide, project_root, cache_dir)
    return RenderedSlide(slide.index, shown_title(slide), html, notes, slide.steps, slide.kind)


@functools.lru_cache(maxsize=1)
def _env():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def title_html(deck: Deck) -> str:
    meta = deck.front_matter
    template = _env().get_template(f"title_{meta.get('theme', 'default')}.html.j2")
    return template.render(meta=meta, date=format_date(meta.get("date"), deck.lang),
                           institution=meta.get("institution") or [])


def source_date(epoch: str | None = None) -> str:
    """The PDF's creation date: SOURCE_DATE_EPOCH when set (reproducible builds), else none at all."""
    if epoch is None:
        from ..settings import current

        epoch = current().source_date_epoch
    if not epoch.isdigit():
        return ""
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _screen_css(theme: str, slides: list[RenderedSlide]) -> str:
    max_steps = max((s.steps for s in slides), default=1)
    return "\n".join([theme_css(theme), pygments_css(), step_css(max_steps, screen_only=True)])


def html_document(deck: Deck, slides: list[RenderedSlide]) -> str:
    """The self-contained interactive deck."""
    theme = deck.front_matter.get("theme", "default")
    return _env().get_template("deck.html.j2").render(
        deck=deck, meta=deck.front_matter, slides=slides, total=len(slides), lang=deck.lang,
        css=_screen_css(theme, slides), runtime_css=runtime_file("runtime.css"),
        runtime_js=runtime_file("deck.js"), theme=theme)


@functools.lru_cache(maxsize=4)
def print_rules(theme: str) -> str:
    """The print document's rules apart from the fonts and the step rules: the theme, code colours,
    page rules."""
    own = (TEMPLATES / "print.css").read_text(encoding="utf-8")
    return "\n".join([theme_rules(theme), pygments_css(), own])


def print_pages(slides: list[RenderedSlide], handout: bool = False) -> list[tuple[RenderedSlide, int, bool]]:
    """(slide, step shown, first page of its slide) for each page: one per step, or one per slide
    in its final state for a handout."""
    return [(s, k, i == 0) for s in slides
            for i, k in enumerate([s.steps] if handout else range(1, s.steps + 1))]


def _print_html(deck: Deck, slides: list[RenderedSlide], handout: bool, css: str, created: str) -> str:
    theme = deck.front_matter.get("theme", "default")
    return _env().get_template("print.html.j2").render(created=created,
        deck=deck, meta=deck.front_matter, pages=print_pages(slides, handout), total=len(deck.slides),
        lang=deck.lang, css=css, theme=theme, handout=handout)


def print_document(deck: Deck, slides: list[RenderedSlide], handout: bool = False) -> str:
    """One page per step (or per slide for a handout), for WeasyPrint. No notes, no script."""
    theme = deck.front_matter.get("theme", "default")
    max_steps = max((s.steps for s in slides), default=1)
    css = "\n".join([font_css(), print_rules(theme), step_css(max_steps)])
    return _print_html(deck, slides, handout, css, source_date())


def slide_print_html(deck: Deck, slide: RenderedSlide, handout: bool = False) -> str:
    """The print document of one slide (its step pages), with its rules but not the fonts: the PDF
    renderer loads `font_css()` once per process and gives it beside every slide (where a @font-face
    comes from does not matter). The rules must be inside the document: WeasyPrint ranks stylesheets
    given beside it as *user* styles, below the width and height attributes of inline SVG figures (a
    figure would keep its drawn size). No date: the deck's PDF gets its metadata when the slides are
    assembled (assemble.py)."""
    css = "\n".join([print_rules(deck.front_matter.get("theme", "default")), step_css(slide.steps)])
    return _print_html(deck, [slide], handout, css, "")
