"""Stage 4: executed Deck -> HTML, both the interactive deck and the page-per-step print document.

The Markdown renderer is a table keyed by token type (as markdown-it's own), so each slide
element is one function: cells, computed values, math, images, columns, steps, notes.
"""
from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

from .assets import image_uri, runtime_file, theme_css
from .errors import DeckError, Location
from .highlight import pygments_css, render_code
from .mathsvg import render_math
from .model import Deck, Output, Slide
from .parse import markdown
from .shared.locale import format_date
from .shared.svg import figure_html

TEMPLATES = Path(__file__).resolve().parent / "templates"


class SlideRenderer:
    """Renders one slide's tokens with deck's rules on top of markdown-it's defaults."""

    def __init__(self, deck: Deck, slide: Slide, project_root: Path, math_cache: Path | None = None):
        self.deck, self.slide, self.root = deck, slide, project_root
        self.math_cache = math_cache
        self._line = 0
        self.md = markdown()
        self.rules = {
            "fence": self.fence,
            "code_inline": self.code_inline,
            "math_inline": self.math_inline,
            "math_inline_double": self.math_block,
            "math_block": self.math_block,
            "math_block_label": self.math_block,
            "image": self.image,
            "deck_step_open": lambda t, i: f'<div class="step" data-step="{t[i].meta["step"]}">\n',
            "deck_step_close": lambda t, i: "</div>\n",
            "container_columns_open": lambda t, i: '<div class="columns">\n',
            "container_columns_close": lambda t, i: "</div>\n",
            "container_column_open": self.column_open,
            "container_column_close": lambda t, i: "</div>\n",
            "container_incremental_open": lambda t, i: '<div class="incremental">\n',
            "container_incremental_close": lambda t, i: "</div>\n",
            "heading_open": self.heading,
            "heading_close": self.heading,
        }

    def render(self) -> tuple[str, str]:
        """(slide body HTML, speaker notes HTML)."""
        body, notes = split_notes(self.slide.tokens)
        return self.render_tokens(body), self.render_tokens(notes)

    def render_tokens(self, tokens: list) -> str:
        out = []
        for i, tok in enumerate(tokens):
            if tok.type == "inline":
                out.append(self.render_inline(tok))
            elif tok.type in self.rules:
                out.append(self.rules[tok.type](tokens, i))
            else:
                out.append(self.md.renderer.renderToken(tokens, i, self.md.options, {}))
        return "".join(out)

    def render_inline(self, tok) -> str:
        if tok.map:  # inline children have no map: they take their paragraph's line
            self._line = tok.map[0]
        children = tok.children or []
        out = []
        for i, child in enumerate(children):
            rule = self.rules.get(child.type) or getattr(self.md.renderer, child.type, None)
            if child.type in self.rules:
                out.append(self.rules[child.type](children, i))
            elif rule is not None:
                out.append(rule(children, i, self.md.options, {}))
            else:
                out.append(self.md.renderer.renderToken(children, i, self.md.options, {}))
        return "".join(out)

    def location(self, line: int | None = None) -> Location:
        lines = self.slide.lines
        i = min(max(line if line is not None else self._line, 0), len(lines) - 1)
        return Location(lines[i].path, lines[i].line, self.slide.index)

    # --- rules -------------------------------------------------------------------------------
    def heading(self, tokens, i) -> str:
        tok = tokens[i]
        level = min(int(tok.tag[1]) + 1, 6)
        if tok.nesting == 1:
            cls = ' class="slide-title"' if tok.tag == "h1" else ""
            return f"<h{level}{cls}>"
        return f"</h{level}>\n"

    def fence(self, tokens, i) -> str:
        tok = tokens[i]
        cell = tok.meta.get("cell")
        if cell is None:
            return self.md.renderer.fence(tokens, i, self.md.options, {})
        parts = []
        if cell.options.echo:
            parts.append(render_code(cell))
        for output in cell.outputs:
            parts.append(render_output(output))
        step = f' data-step="{cell.step}"' if cell.step > 1 and not _inside_step(tokens, i) else ""
        return f'<div class="cell"{step}>' + "".join(parts) + "</div>\n"

    def code_inline(self, tokens, i) -> str:
        tok = tokens[i]
        expr = tok.meta.get("expr")
        if expr is None:
            return f"<code>{escape(tok.content)}</code>"
        return f'<span class="computed">{escape(expr.text)}</span>'

    def math_inline(self, tokens, i) -> str:
        return render_math(tokens[i].content, False, self.location(), self.math_cache)

    def math_block(self, tokens, i) -> str:
        tok = tokens[i]
        line = tok.map[0] if tok.map else None
        return f'<div class="math-display">{render_math(tok.content, True, self.location(line), self.math_cache)}</div>\n'

    def image(self, tokens, i) -> str:
        tok = tokens[i]
        alt = escape("".join(c.content for c in (tok.children or [])) or tok.content)
        uri = image_uri(tok.attrGet("src") or "", self.deck.path.parent, self.root, self.location())
        title = tok.attrGet("title")
        img = f'<img src="{uri}" alt="{alt}">'
        return f'<figure class="image">{img}<figcaption>{escape(title)}</figcaption></figure>' if title else img

    def column_open(self, tokens, i) -> str:
        info = tokens[i].info.strip().split()
        width = info[1] if len(info) > 1 else ""
        if width and not width.rstrip("%").replace(".", "").isdigit():
            raise DeckError(f"column width must be a percentage like 40%, not {width!r}",
                            self.location(tokens[i].map[0] if tokens[i].map else None))
        style = f' style="flex:0 0 {width if width.endswith("%") else width + "%"}"' if width else ""
        return f'<div class="column"{style}>\n'


def _inside_step(tokens, i) -> bool:
    depth = 0
    for tok in reversed(tokens[:i]):
        if tok.type == "deck_step_close":
            depth += 1
        elif tok.type == "deck_step_open":
            if depth == 0:
                return True
            depth -= 1
    return False


def split_notes(tokens: list) -> tuple[list, list]:
    body, notes, depth = [], [], 0
    for tok in tokens:
        if tok.type == "container_notes_open":
            depth += 1
            continue
        if tok.type == "container_notes_close":
            depth -= 1
            continue
        (notes if depth else body).append(tok)
    return body, notes


def render_output(output: Output) -> str:
    if output.kind == "svg":
        return figure_html(output.content, output.alt)
    if output.kind == "html":
        return f'<div class="output-html">{output.content}</div>'
    cls = "output error" if output.kind == "error" else "output"
    return f'<pre class="{cls}">{escape(output.content)}</pre>'


# --- whole documents ------------------------------------------------------------------------
def render_slides(deck: Deck, project_root: Path, cache_dir: Path | None = None) -> list[dict]:
    """Each slide as a dict for the page templates: index, title, html, notes, steps, kind."""
    rendered = []
    for slide in deck.slides:
        if slide.kind == "title":
            html, notes = title_html(deck), ""
        else:
            try:
                html, notes = SlideRenderer(deck, slide, project_root, cache_dir).render()
            except DeckError as err:
                raise err.with_slide(slide.index)
        rendered.append({"index": slide.index, "title": slide.title, "html": html, "notes": notes,
                         "steps": slide.steps, "kind": slide.kind})
    return rendered


def _env():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def title_html(deck: Deck) -> str:
    meta = deck.meta
    template = _env().get_template(f"title_{meta.get('theme', 'default')}.html.j2")
    return template.render(meta=meta, date=format_date(meta.get("date"), deck.lang),
                           institution=meta.get("institution") or [])


def source_date() -> str:
    """The PDF's creation date: SOURCE_DATE_EPOCH when set (reproducible builds), else none at all."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch.isdigit():
        return ""
    return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def step_css(max_steps: int) -> str:
    """Print rules: a page showing step k hides what appears later and swaps blanks for answers."""
    rules = []
    for k in range(1, max_steps + 1):
        later = ", ".join(f'.page[data-show="{k}"] [data-step="{m}"]' for m in range(k + 1, max_steps + 2))
        swap_in = ", ".join(f'.page[data-show="{k}"] [data-swap-in="{m}"]' for m in range(k + 1, max_steps + 2))
        swap_out = ", ".join(f'.page[data-show="{k}"] [data-swap-out="{m}"]' for m in range(1, k + 1))
        rules.append(f"{later} {{ visibility: hidden }}")
        rules.append(f"{swap_in}, {swap_out} {{ display: none }}")
    return "\n".join(rules)


def html_document(deck: Deck, slides: list[dict]) -> str:
    """The self-contained interactive deck."""
    theme = deck.meta.get("theme", "default")
    return _env().get_template("deck.html.j2").render(
        deck=deck, meta=deck.meta, slides=slides, total=len(slides), lang=deck.lang,
        css=theme_css(theme) + "\n" + pygments_css(), runtime_css=runtime_file("runtime.css"),
        runtime_js=runtime_file("deck.js"), theme=theme)


def print_document(deck: Deck, slides: list[dict], handout: bool = False) -> str:
    """One page per step (or per slide for a handout), for WeasyPrint. No notes, no script."""
    theme = deck.meta.get("theme", "default")
    pages = []
    for s in slides:
        shown = [s["steps"]] if handout else range(1, s["steps"] + 1)
        pages.extend({**s, "show": k} for k in shown)
    max_steps = max((s["steps"] for s in slides), default=1)
    return _env().get_template("print.html.j2").render(created=source_date(),
        deck=deck, meta=deck.meta, pages=pages, total=len(slides), lang=deck.lang,
        css=theme_css(theme) + "\n" + pygments_css(), step_css=step_css(max_steps), theme=theme)
