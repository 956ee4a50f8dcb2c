"""Displayed code: Pygments highlighting plus deck's marks on spans of a line.

Marks are computed values (exercise blanks swapped for answers at a later step) and callouts
(a label attached to a span, e.g. `32` -> "Taille du batch"). They are applied on the plain text
offsets of each line, then Pygments' token spans are cut around them.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from html import escape

from ..document import Cell
from ..errors import SourceError
from .steps import answer_marks


@dataclass
class Mark:
    start: int
    end: int
    open: str
    close: str
    replace: str | None = None  # HTML that replaces the span's text (a blank before its answer)


@functools.lru_cache(maxsize=8)
def _lexer(lang: str):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(lang, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return get_lexer_by_name("text", stripnl=False, ensurenl=False)


def token_lines(code: str, lang: str) -> list[list[tuple[str, str]]]:
    """Per line, the (css class, text) runs of Pygments tokens."""
    from pygments.token import STANDARD_TYPES

    lines: list[list[tuple[str, str]]] = [[]]
    for ttype, value in _lexer(lang).get_tokens(code):
        css = ""
        t = ttype
        while t is not None and not css:
            css = STANDARD_TYPES.get(t, "")
            t = t.parent
        parts = value.split("\n")
        for k, part in enumerate(parts):
            if k:
                lines.append([])
            if part:
                lines[-1].append((css, part))
    return lines


# Callout labels under a line of code, in the labels' own size (em of --small-size: the label is
# small print whatever the code's size, which may grow: page_fit.code_sizes). The first row starts
# CALLOUT_GAP px under the span, so its arrow (8 px) points at the span's frame, never into the code;
# each further row is CALLOUT_ROW em lower (a label is 1.3 em high: rows never touch).
CALLOUT_GAP = 9      # px between the span's bottom and the first row of labels
CALLOUT_ROW = 2.0    # em: from one row of labels to the next
CALLOUT_ROOM = 1.5   # em: a row of labels under its line, with its margin (plus CALLOUT_GAP)


def callout_room(rows: int) -> str:
    """The CSS length a line with ``rows`` rows of labels leaves under it."""
    return f"calc(var(--small-size) * {CALLOUT_ROOM + (rows - 1) * CALLOUT_ROW:.2f} + {CALLOUT_GAP}px)"


def render_code(cell: Cell, slide_steps: int = 1) -> str:
    """The <pre> of a cell's displayed code with highlighting, computed values, callouts and the steps
    at which each line is lit (`code-steps`; the last group stays lit up to the slide's last step)."""
    text = cell.display if cell.display or not cell.code else cell.code
    marks: dict[int, list[Mark]] = {}
    for r in cell.replacements:
        if r.blank is not None:  # an exercise (its text is the blank itself in the student version)
            marks.setdefault(r.line, []).append(Mark(r.start, r.end, *answer_marks(r.blank, r.answer_step)))
        else:
            marks.setdefault(r.line, []).append(Mark(r.start, r.end, '<span class="computed">', "</span>"))
    lines = text.split("\n")
    found: dict[int, list[tuple[int, str, str]]] = {}  # line -> (column, span, label) of its callouts
    for span, label in cell.options.callouts.items():
        for i, line in enumerate(lines):
            at = line.find(span)
            if at >= 0:
                found.setdefault(i, []).append((at, span, label))
                break
        else:
            raise SourceError(f"callout text {span!r} is not in the cell's code", cell.location)
    # Only the frame and the label appear at the callout's step: the code stays put.
    step = cell.options.callouts_step or cell.step
    attr = f' data-step="{step}"' if step > 1 else ""
    callout_rows: dict[int, int] = {}  # line -> rows of labels under it
    for i, spans in found.items():
        # Labels of one line go one row each, left to right, so that close spans' labels never overlap
        # (their widths are known only to the browser); a connector reaches down to each row.
        for row, (at, span, label) in enumerate(sorted(spans)):
            # lower rows under the upper ones: a connector passes behind the labels it crosses
            drop = f"calc({CALLOUT_GAP}px + {row * CALLOUT_ROW:.2f}em)"
            lower = f' style="top: calc(100% + {CALLOUT_GAP}px + {row * CALLOUT_ROW:.2f}em); z-index: 1"' if row else ""
            stem = f'<span class="callout-stem" style="height: {drop}"></span>' if row else ""
            marks.setdefault(i, []).append(Mark(
                at, at + len(span), '<span class="callout">',
                f'<span class="callout-box"{attr}></span><span class="callout-label"{attr}{lower}>'
                f'{stem}{escape(label)}</span></span>'))
        callout_rows[i] = len(spans)
    lit = lit_steps(cell, len(lines), slide_steps)
    out = []
    for i, runs in enumerate(token_lines(text, cell.lang)):
        html = _render_line(runs, sorted(marks.get(i, []), key=lambda m: m.start))
        # A line with callouts is taller, leaving room for the labels under it.
        classes = ["callout-line"] * (i in callout_rows) + ["code-line"] * bool(cell.code_steps)
        attr = f' data-lit="{" ".join(map(str, lit.get(i + 1, [])))}"' if cell.code_steps else ""
        if callout_rows.get(i, 1) > 1:  # room for every row of labels under the line
            attr += f' style="padding-bottom: {callout_room(callout_rows[i])}"'
        out.append(f'<span class="{" ".join(classes)}"{attr}>{html}</span>' if classes else html)
    body = "\n".join(out)
    return f'<pre class="code"><code class="language-{escape(cell.lang)}">{body}</code></pre>'


def lit_steps(cell: Cell, n_lines: int, slide_steps: int) -> dict[int, list[int]]:
    """For each line (1-based) of a cell with `code-steps`, the slide steps at which it is lit."""
    groups = cell.code_steps
    lit: dict[int, list[int]] = {}
    for k, group in enumerate(groups):
        if group and max(group) > n_lines:
            where = cell.option_lines.get("code_steps", cell.location)
            raise SourceError(f"cell option 'code-steps': line {max(group)} is past the end of the cell's "
                              f"{n_lines} line{'s' * (n_lines > 1)}", where)
        last = k == len(groups) - 1
        for step in range(cell.step + k, max(slide_steps, cell.step + k) + 1 if last else cell.step + k + 1):
            for line in group:
                lit.setdefault(line, []).append(step)
    return lit


def _render_line(runs: list[tuple[str, str]], marks: list[Mark]) -> str:
    # Cut points: every mark boundary; each run is split there so spans nest properly.
    cuts = sorted({m.start for m in marks} | {m.end for m in marks})
    pieces: list[tuple[int, str, str]] = []  # (offset, css, text)
    pos = 0
    for css, text in runs:
        start = pos
        for c in cuts:
            if start < c < pos + len(text):
                pieces.append((start, css, text[start - pos:c - pos]))
                start = c
        pieces.append((start, css, text[start - pos:]))
        pos += len(text)
    html = []
    opened: list[Mark] = []
    for offset, css, text in pieces:
        while opened and opened[-1].end <= offset:
            html.append(opened.pop().close)
        for m in marks:
            if m.start == offset and m not in opened and m.end > offset:
                html.append(m.open)
                opened.append(m)
        piece = escape(text, quote=False)
        html.append(f'<span class="{css}">{piece}</span>' if css else piece)
    while opened:
        html.append(opened.pop().close)
    return "".join(html)


# Token colours: Pygments' "friendly" palette darkened until each reaches 4.5:1 (WCAG AA) on the code
# background (#f4f6fa) and on a highlighted line (--line-bg, #e3eafa) of base.css; no italics (the
# deck embeds no monospace italic: the PDF would show it upright, Chromium slanted).
_TOKEN_STYLES = {
    "Comment": "#3d6b78", "Comment.Preproc": "#007020", "Comment.Special": "bg:#fff0f0",
    "Keyword": "bold #007020", "Keyword.Pseudo": "nobold", "Keyword.Type": "nobold #902000",
    "Operator": "#595959", "Operator.Word": "bold #007020",
    "Name.Builtin": "#007020", "Name.Function": "#06287e", "Name.Class": "bold #0b6a91",
    "Name.Namespace": "bold #0b6a91", "Name.Exception": "#007020", "Name.Variable": "#8a3ba0",
    "Name.Constant": "#2a6485", "Name.Label": "bold #002070", "Name.Entity": "bold #a33a22",
    "Name.Attribute": "#3d6591", "Name.Tag": "bold #062873", "Name.Decorator": "bold #555555",
    "String": "#3d6591", "String.Escape": "bold #3d6591", "String.Regex": "#235388",
    "String.Symbol": "#4a6e16", "String.Other": "#9a4706", "Number": "#1b6e3c",
    "Generic.Heading": "bold #000080", "Generic.Subheading": "bold #800080", "Generic.Deleted": "#a00000",
    "Generic.Inserted": "#007a00", "Generic.Error": "#c00000", "Generic.Strong": "bold",
    "Generic.Prompt": "bold #9a4706", "Generic.Output": "#595959", "Generic.Traceback": "#0033bb",
    "Error": "#c00000",
}


@functools.lru_cache(maxsize=1)
def pygments_css() -> str:
    from pygments import token
    from pygments.formatters import HtmlFormatter
    from pygments.style import Style

    class DeckStyle(Style):
        background_color = "#f4f6fa"
        styles = {token.string_to_tokentype(name): value for name, value in _TOKEN_STYLES.items()}

    return HtmlFormatter(style=DeckStyle).get_style_defs(".code")
