"""A slide's Markdown tokens -> HTML, through markdown-it's renderer with deck's rules registered.

As markdown-it's own renderer, a rule per token type: a method named after the type (cells,
computed values, math, images, columns, steps, headings); the rest is markdown-it's defaults.
"""
from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import unquote

from markdown_it.common.normalize_url import validateLink
from markdown_it.renderer import RendererHTML

from ..claims.exercises import is_blank
from ..document import Cell, Deck, Output, Slide
from ..errors import CellError, Location, SourceError
from ..execute.outputs import clean_html, strip_addresses
from ..shared.svg import figure_html
from ..source.cells import LIVE_INFO
from ..source.markdown import markdown
from ..source.slides import INLINE_PREFIX, PAUSE
from .assets import image_uri
from .highlight import render_code
from .math import render_math
from .page_fit import code_sizes
from .steps import answer_marks

REFUSED_SCHEMES = ("javascript:", "vbscript:", "file:", "data:")  # links that run code or carry a file


@dataclass
class SlideContext:
    """What the rules need besides the tokens: the slide (for locations), the project, the caches."""

    deck: Deck
    slide: Slide
    project_root: Path
    math_cache: Path | None = None
    fixed: Location | None = None  # Markdown a cell printed (`output: asis`): located at the cell

    def location(self, token) -> Location:
        """The source location of a token (inline children carry their paragraph's map)."""
        if self.fixed is not None:
            return self.fixed
        lines = self.slide.lines
        line = token.map[0] if token.map else 0
        i = min(max(line, 0), len(lines) - 1)
        return lines[i].on_slide(self.slide.index)


@dataclass
class RenderedSlide:
    """One slide as the page templates use it."""

    index: int
    title: str
    html: str
    notes: str
    steps: int
    kind: str


class SlideRenderer(RendererHTML):
    """markdown-it's HTML renderer with deck's rules. `env["slide"]` is the SlideContext."""

    def heading_open(self, tokens, idx, options, env) -> str:
        tok = tokens[idx]
        cls = ' class="slide-title"' if tok.tag == "h1" else ""
        return f"<h{_demoted(tok.tag)}{cls}>"  # h1 is the slide title: h2 under the deck's own h1

    def heading_close(self, tokens, idx, options, env) -> str:
        return f"</h{_demoted(tokens[idx].tag)}>\n"

    def fence(self, tokens, idx, options, env) -> str:
        tok = tokens[idx]
        cell = tok.meta.get("cell")
        if cell is None:
            return super().fence(tokens, idx, options, env)
        parts = []
        if cell.options.echo:
            parts.append(render_code(cell, env["slide"].slide.steps))
        for output in cell.outputs:
            try:
                parts.append(self._markdown_output(output.content, cell, options, env) if output.kind == "markdown"
                             else render_output(output, cell.options.caption))
            except (ValueError, SyntaxError) as exc:  # ElementTree's ParseError is a SyntaxError
                raise CellError(f"the figure the cell shows is not a valid SVG document: {exc}", cell.location) from None
        step = f' data-step="{cell.step}"' if cell.step > 1 and not _inside_step(tokens, idx) else ""
        size = " code-small" if cell.options.code_size == "small" else ""
        grown = env.get("code_sizes", {}).get(cell.index)  # page_fit.code_sizes: room left on the slide
        style = f' style="--code-grown: {grown:g}px"' if grown else ""
        # data-cell: the page-fit check names the cell whose code runs past its box
        return f'<div class="cell{size}" data-cell="{cell.index}"{step}{style}>' + "".join(parts) + "</div>\n"

    def _markdown_output(self, text: str, cell: Cell, options, env) -> str:
        """What an `output: asis` cell printed, as Markdown in place of its output; errors at the cell."""
        ctx: SlideContext = env["slide"]
        where = cell.location.on_slide(ctx.slide.index)
        tokens = markdown().parse(text)
        _check_printed_markdown(tokens, where)
        html = self.render(tokens, options, {**env, "slide": dataclasses.replace(ctx, fixed=where)})
        return f'<div class="output-markdown">{html}</div>'

    def text(self, tokens, idx, options, env) -> str:
        return escape(keep_together(tokens[idx].content), quote=False)

    def code_inline(self, tokens, idx, options, env) -> str:
        tok = tokens[idx]
        expr = tok.meta.get("expr")
        if expr is None:
            return f"<code>{escape(tok.content)}</code>"
        if expr.claim is not None and is_blank(expr.claim):  # an exercise: the blank, then the answer
            before, after = answer_marks(expr.claim, expr.answer_step)
            return before + escape(expr.text) + after
        return f'<span class="computed">{escape(keep_together(expr.text))}</span>'

    def math_inline(self, tokens, idx, options, env) -> str:
        ctx: SlideContext = env["slide"]
        return render_math(tokens[idx].content, False, ctx.location(tokens[idx]), ctx.math_cache)

    def math_block(self, tokens, idx, options, env) -> str:
        ctx: SlideContext = env["slide"]
        tok = tokens[idx]
        return f'<div class="math-display">{render_math(tok.content, True, ctx.location(tok), ctx.math_cache)}</div>\n'

    math_inline_double = math_block
    math_block_label = math_block

    def image(self, tokens, idx, options, env) -> str:
        ctx: SlideContext = env["slide"]
        tok = tokens[idx]
        alt = escape("".join(c.content for c in (tok.children or [])) or tok.content)
        # markdown-it percent-encodes the path it read (`schéma.png` -> `sch%C3%A9ma.png`): the file's name is decoded
        src = unquote(tok.attrGet("src") or "")
        uri = image_uri(src, ctx.deck.path.parent, ctx.project_root, ctx.location(tok))
        title = tok.attrGet("title")
        img = f'<img src="{uri}" alt="{alt}">'
        return f'<figure class="image">{img}<figcaption>{escape(title)}</figcaption></figure>' if title else img

    def link_open(self, tokens, idx, options, env) -> str:
        tok = tokens[idx]
        href = tok.attrGet("href") or ""
        # markdown-it's own rule lets `data:image/png;…` through; a browser ignores tabs, newlines and
        # controls inside a URL, so the scheme is read without them
        scheme = re.sub(r"[\x00-\x20\x7f]", "", unquote(href)).lower()
        if not validateLink(href) or scheme.startswith(REFUSED_SCHEMES):
            raise SourceError(f"link {unquote(href)!r}: javascript:, vbscript:, file: and data: links are refused "
                              "(a deck links to the web, or to nothing)", env["slide"].location(tok))
        return super().renderToken(tokens, idx, options, env)

    def deck_step_open(self, tokens, idx, options, env) -> str:
        return f'<div class="step" data-step="{tokens[idx].meta["step"]}">\n'

    def deck_step_close(self, tokens, idx, options, env) -> str:
        return "</div>\n"

    def container_columns_open(self, tokens, idx, options, env) -> str:
        return '<div class="columns">\n'

    def container_column_open(self, tokens, idx, options, env) -> str:
        tok = tokens[idx]
        info = tok.info.strip().split()
        width = info[1] if len(info) > 1 else ""
        if width and not width.rstrip("%").replace(".", "").isdigit():
            raise SourceError(f"column width must be a percentage like 40%, not {width!r}",
                              env["slide"].location(tok))
        style = f' style="flex:0 0 {width if width.endswith("%") else width + "%"}"' if width else ""
        return f'<div class="column"{style}>\n'

    def container_incremental_open(self, tokens, idx, options, env) -> str:
        return '<div class="incremental">\n'

    def container_answer_open(self, tokens, idx, options, env) -> str:
        return f'<div class="answer-block" data-step="{tokens[idx].meta["step"]}">\n'

    def _close_div(self, tokens, idx, options, env) -> str:
        return "</div>\n"

    container_columns_close = container_column_close = container_incremental_close = _close_div
    container_answer_close = _close_div


# A line never breaks inside a formula or a number: around a spaced operator ("512 × 4 + 4",
# "16 → 32", "η = 0,001") and between the digit groups of a number ("10 201") the spaces are made
# non-breaking (the group separator the narrow one deck's own numbers use); nor between a number and
# the word after it, its unit ("3 millions", "25,6 Mo", "7 pommes", "2 °C", "12 %"), as French
# typography asks; nor after the `~` of an approximate value ("~ 2 °C").
_SPACED_OPERATOR = re.compile(r" ([×→←↔=≈≠≤≥+−÷·]) ")
_GROUPED_NUMBER = re.compile(r"(?<![\d,.])\d{1,3}(?: \d{3})+(?![\d])")
_NUMBER_THEN_WORD = re.compile(r"(?<![\w.,\u202f-])(\d(?:[\d\u202f]*\d)?(?:[.,]\d+)?) (?=[^\W\d_]|[%‰°])")
_APPROXIMATE = re.compile(r"(?<!\S)~ (?=\d)")


def keep_together(text: str) -> str:
    text = _GROUPED_NUMBER.sub(lambda m: m.group().replace(" ", "\u202f"), text)
    text = _NUMBER_THEN_WORD.sub("\\1\u00a0", text)
    text = _APPROXIMATE.sub("~\u00a0", text)
    return _SPACED_OPERATOR.sub("\u00a0\\1\u00a0", text)


def _check_printed_markdown(tokens: list, where: Location) -> None:
    """Printed Markdown is the cell's result: its values are computed already, and steps, notes or
    answers belong to the slide's own source, where the step count and the student version see them."""
    for tok in tokens:
        kind = tok.type.removeprefix("container_").rsplit("_", 1)[0] if tok.type.startswith("container_") else ""
        if kind in ("notes", "answer", "incremental"):
            problem = f"a `::: {kind}` block"
        elif tok.type == "fence" and LIVE_INFO.match(tok.info.strip()):
            problem = "a live cell"
        elif tok.type == "inline" and tok.content.strip() == PAUSE:
            problem = "a pause (`. . .`)"
        elif tok.type == "inline" and any(c.type == "code_inline" and INLINE_PREFIX.match(c.content)
                                          for c in tok.children or []):
            problem = "an inline expression (`{py} ...`): print the value itself"
        else:
            continue
        raise SourceError(f"the Markdown this cell prints (output: asis) contains {problem}; "
                          "write it in the slide instead", where)


def _demoted(tag: str) -> int:
    return min(int(tag[1]) + 1, 6)


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
    """The slide's tokens, and those of its speaker notes (`::: notes`)."""
    body: list = []
    notes: list = []
    depth = 0
    for tok in tokens:
        if tok.type == "container_notes_open":
            depth += 1
            continue
        if tok.type == "container_notes_close":
            depth -= 1
            continue
        (notes if depth else body).append(tok)
    return body, notes


def render_output(output: Output, caption: str = "") -> str:
    """An output as the slide shows it, made safe here whatever its origin (a cell now, or the cache):
    SVG and HTML cleaned to what may sit in a deck, text escaped and without memory addresses; a
    figure with the cell's caption under it."""
    if output.kind == "svg":
        return _with_phone_width(figure_html(output.content, output.alt, caption))
    if output.kind == "html":
        return f'<div class="output-html">{clean_html(output.content)}</div>'
    cls = "output error" if output.kind == "error" else "output"
    return f'<pre class="{cls}">{escape(strip_addresses(output.content))}</pre>'


_VIEWBOX = re.compile(r'<svg\b[^>]*?\bviewBox="[\d.-]+ [\d.-]+ ([\d.]+) ([\d.]+)"')
_FONT_SIZE = re.compile(r"font-size:\s*([\d.]+)px")
#: in the phone view (runtime.css) a figure is as wide as the window, unless it is a band (wider
#: than BAND_RATIO times its height): then it is drawn PHONE_FIGURE_HEIGHT_PX tall, or less if that
#: already sets its smallest text at the phone's code size (13 px), and scrolls sideways
BAND_RATIO, PHONE_FIGURE_HEIGHT_PX, PHONE_FIGURE_TEXT_PX = 2.5, 180, 13


def _with_phone_width(html_figure: str) -> str:
    """The figure with the width the phone view gives it at least (``--phone-width``): a wide
    diagram there keeps legible labels rather than shrinking to a band of unreadable text."""
    box, sizes = _VIEWBOX.search(html_figure), [float(v) for v in _FONT_SIZE.findall(html_figure)]
    if box is None or not sizes or min(sizes) <= 0 or float(box.group(2)) <= 0:
        return html_figure
    width, height = float(box.group(1)), float(box.group(2))
    if width <= BAND_RATIO * height:
        return html_figure
    wide = min(width * PHONE_FIGURE_TEXT_PX / min(sizes), width / height * PHONE_FIGURE_HEIGHT_PX)
    return html_figure.replace('<figure class="figure', f'<figure style="--phone-width: {wide:.0f}px" class="figure', 1)


@functools.lru_cache(maxsize=1)
def _renderer() -> SlideRenderer:
    return SlideRenderer()  # stateless: the slide's context travels in env


def render_slide(deck: Deck, slide: Slide, project_root: Path, math_cache: Path | None = None) -> tuple[str, str]:
    """(slide body HTML, speaker notes HTML) of a content slide."""
    renderer, options = _renderer(), markdown().options
    body, notes = split_notes(slide.tokens)
    env = {"slide": SlideContext(deck, slide, project_root, math_cache), "code_sizes": code_sizes(body)}
    try:
        return renderer.render(body, options, env), renderer.render(notes, options, env)
    except SourceError as err:
        raise err.with_slide(slide.index) from None
