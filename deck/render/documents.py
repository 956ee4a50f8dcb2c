"""Whole documents from rendered slides: the interactive HTML deck and the page-per-step print
document that WeasyPrint lays out. Page templates are Jinja with autoescaping."""
from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path

from ..document import Deck
from ..errors import DeckError
from ..shared.locale import format_date
from .assets import runtime_file, theme_css
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
        if slide.kind == "title":
            html, notes = title_html(deck), ""
        elif errors is None:
            html, notes = render_slide(deck, slide, project_root, cache_dir)
        else:
            try:
                html, notes = render_slide(deck, slide, project_root, cache_dir)
            except DeckError as err:
                errors.append(err)
                html, notes = "", ""
        rendered.append(RenderedSlide(slide.index, slide.title, html, notes, slide.steps, slide.kind))
    return rendered


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


def source_date() -> str:
    """The PDF's creation date: SOURCE_DATE_EPOCH when set (reproducible builds), else none at all."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch.isdigit():
        return ""
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _css(theme: str, slides: list[RenderedSlide], screen_only: bool) -> str:
    max_steps = max((s.steps for s in slides), default=1)
    return "\n".join([theme_css(theme), pygments_css(), step_css(max_steps, screen_only)])


def html_document(deck: Deck, slides: list[RenderedSlide]) -> str:
    """The self-contained interactive deck."""
    theme = deck.front_matter.get("theme", "default")
    return _env().get_template("deck.html.j2").render(
        deck=deck, meta=deck.front_matter, slides=slides, total=len(slides), lang=deck.lang,
        css=_css(theme, slides, screen_only=True), runtime_css=runtime_file("runtime.css"),
        runtime_js=runtime_file("deck.js"), theme=theme)


def print_document(deck: Deck, slides: list[RenderedSlide], handout: bool = False) -> str:
    """One page per step (or per slide for a handout), for WeasyPrint. No notes, no script."""
    theme = deck.front_matter.get("theme", "default")
    pages = [(s, k) for s in slides for k in ([s.steps] if handout else range(1, s.steps + 1))]
    return _env().get_template("print.html.j2").render(created=source_date(),
        deck=deck, meta=deck.front_matter, pages=pages, total=len(slides), lang=deck.lang,
        css=_css(theme, slides, screen_only=False), theme=theme)
