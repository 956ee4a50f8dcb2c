"""A slide's tokens read as the blocks a PowerPoint slide is made of: text (paragraphs and list items
with their level, made of styled runs), tables, code, pictures and columns, in their final state."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..claims.exercises import is_blank
from ..document import Cell, Deck, Slide
from ..render.html import keep_together

COMPUTED_BG, ANSWER_BG, ANSWER_INK, ERROR_INK, OUTPUT_INK = "fff1b8", "c9efd9", "08502a", "b00020", "3a4555"


@dataclass
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    mono: bool = False
    colour: str | None = None
    highlight: str | None = None


@dataclass
class Para:
    runs: list[Run]
    level: int = 0
    bullet: str | None = None   # "•" or "3." for list items
    heading: bool = False


@dataclass
class Text:
    paras: list[Para] = field(default_factory=list)


@dataclass
class Table:
    rows: list[list[list[Run]]]
    header: bool = True
    spans: dict[tuple[int, int], int] = field(default_factory=dict)  # (row, cell): columns it spans
    right: set[tuple[int, int]] = field(default_factory=set)  # (row, cell) aligned right on the page


@dataclass
class Code:
    lines: list[list[Run]]
    output: bool = False        # a cell's output (lighter box) rather than its code
    grown: float | None = None  # px: the size the deck's page gives it where room is left (page_fit)


@dataclass
class Picture:
    svg: str
    alt: str = ""
    math: bool = False


@dataclass
class Columns:
    columns: list[tuple[float | None, list]]  # (width in % or None: shares what is left, blocks)


@dataclass
class _Ctx:
    deck: Deck
    slide: Slide
    project_root: Path
    lost: dict[str, int]
    seen_title: bool = False
    code_sizes: dict[int, float] = field(default_factory=dict)  # page_fit.code_sizes of the slide


def slide_blocks(deck: Deck, slide: Slide, project_root, lost: dict[str, int]) -> tuple[list, list[str]]:
    """The slide's blocks and its speaker notes (one string per paragraph)."""
    from ..render.html import split_notes
    from ..render.page_fit import code_sizes

    body, notes = split_notes(slide.tokens)
    ctx = _Ctx(deck, slide, project_root, lost, code_sizes=code_sizes(body))
    blocks = _blocks(body, ctx)
    note_lines = ["".join(r.text for r in inline_runs(t, ctx)) for t in notes if t.type == "inline"]
    return blocks, [n for n in note_lines if n.strip()]


def _matching(tokens: list, i: int) -> int:
    """The index of the token closing the one opened at `i`."""
    depth = 0
    for k in range(i, len(tokens)):
        depth += tokens[k].nesting
        if depth == 0:
            return k
    return len(tokens) - 1


def _blocks(tokens: list, ctx: _Ctx) -> list:
    out: list = []
    text = Text()
    lists: list[list] = []  # open lists: [kind, next number]
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        kind = tok.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append([kind, int(tok.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind in ("paragraph_open", "heading_open"):
            inline = tokens[i + 1]
            i += 2
            if kind == "heading_open" and tok.tag == "h1" and not ctx.seen_title:
                ctx.seen_title = True  # the slide's title: the title placeholder has it
                continue
            pictures = _lone_images(inline, ctx)
            if pictures:
                _flush(out, text)
                text = Text()
                out.extend(pictures)
                continue
            text.paras.append(_para(inline, ctx, lists, heading=kind == "heading_open"))
            continue
        elif kind in ("fence", "code_block", "table_open", "math_block", "math_block_label",
                      "math_inline_double", "container_columns_open", "html_block", "hr"):
            _flush(out, text)
            text = Text()
            i = _block(tokens, i, ctx, out)
            continue
        i += 1
    _flush(out, text)
    return out


def _flush(out: list, text: Text) -> None:
    if text.paras:
        out.append(text)


def _para(inline, ctx: _Ctx, lists: list[list], heading: bool) -> Para:
    runs = inline_runs(inline, ctx)
    if heading:
        runs = [Run(r.text, True, r.italic, r.mono, r.colour, r.highlight) for r in runs]
    if not lists:
        return Para(runs, heading=heading)
    kind, number = lists[-1]
    if kind == "ordered_list_open":
        lists[-1][1] += 1
        return Para(runs, len(lists) - 1, f"{number}.")
    return Para(runs, len(lists) - 1, "•")


def _block(tokens: list, i: int, ctx: _Ctx, out: list) -> int:
    """The block that starts at token `i` appended to `out`; returns the index after it."""
    from ..render.math import render_math

    tok = tokens[i]
    if tok.type == "fence" and "cell" in tok.meta:
        out.extend(cell_blocks(tok.meta["cell"], ctx))
    elif tok.type in ("fence", "code_block"):
        out.append(Code(code_runs(tok.content.rstrip("\n"), tok.info.strip() or "text", [])))
    elif tok.type.startswith("math"):
        where = ctx.slide.lines[min(tok.map[0] if tok.map else 0, len(ctx.slide.lines) - 1)]
        out.append(Picture(render_math(tok.content, True, where), tok.content.strip(), math=True))
    elif tok.type == "table_open":
        end = _matching(tokens, i)
        out.append(_table(tokens[i:end + 1], ctx))
        return end + 1
    elif tok.type == "container_columns_open":
        end = _matching(tokens, i)
        out.append(_columns(tokens[i + 1:end], ctx))
        return end + 1
    elif tok.type == "html_block":  # raw HTML is shown as text, as on the slide
        out.append(Text([Para([Run(tok.content.strip())])]))
    return i + 1


def _columns(tokens: list, ctx: _Ctx) -> Columns:
    columns = []
    i = 0
    while i < len(tokens):
        if tokens[i].type == "container_column_open":
            end = _matching(tokens, i)
            info = tokens[i].info.strip().split()
            width = float(info[1].rstrip("%")) if len(info) > 1 else None
            columns.append((width, _blocks(tokens[i + 1:end], ctx)))
            i = end
        i += 1
    return Columns(columns)


def _table(tokens: list, ctx: _Ctx) -> Table:
    rows: list[list[list[Run]]] = []
    right: set[tuple[int, int]] = set()
    for tok in tokens:
        if tok.type == "tr_open":
            rows.append([])
        elif tok.type in ("th_open", "td_open") and rows and _aligned_right(tok.attrGet("style")):
            right.add((len(rows) - 1, len(rows[-1])))  # `---:` in the source
        elif tok.type == "inline" and rows:
            rows[-1].append(inline_runs(tok, ctx))
    return Table(rows, header=any(t.type == "thead_open" for t in tokens), right=right)


def _aligned_right(style) -> bool:
    return "text-align:right" in str(style or "").replace(" ", "")


def _lone_images(inline, ctx: _Ctx) -> list:
    """A paragraph holding only images: pictures (an image inside a sentence keeps its alt text)."""
    import base64
    from urllib.parse import unquote

    from ..render.assets import image_uri

    children = [c for c in inline.children or []
                if not (c.type == "text" and not c.content.strip()) and c.type not in ("softbreak", "hardbreak")]
    if not children or any(c.type != "image" for c in children):
        return []
    pictures = []
    for c in children:
        src = unquote(c.attrGet("src") or "")
        uri = image_uri(src, ctx.deck.path.parent, ctx.project_root, ctx.slide.location)
        mime, _, data = uri.removeprefix("data:").partition(";base64,")
        alt = "".join(k.content for k in c.children or []) or c.content
        if mime == "image/svg+xml":
            pictures.append(Picture(base64.b64decode(data).decode("utf-8"), alt))
        else:
            pictures.append(Picture(_bitmap_svg(uri, data), alt))
    return pictures


def _bitmap_svg(uri: str, data: str) -> str:
    """A bitmap image wrapped in an SVG of its size, so that every picture goes the same way."""
    import base64
    import io

    from PIL import Image

    w, h = Image.open(io.BytesIO(base64.b64decode(data))).size
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
            f'<image width="{w}" height="{h}" xlink:href="{uri}"/></svg>')


# PowerPoint and LibreOffice break a line at any space, where browsers and WeasyPrint follow Unicode's
# line-breaking rules, which never break before ":;!?" or inside « »: French spacing ("intermédiaires :")
# left the colon alone on the next line. Those spaces are made non-breaking, as are those that
# keep_together makes so on the HTML page (inside numbers and formulas, between a number and its unit).
_SPACE_BEFORE_PUNCTUATION = re.compile(r" (?=[:;!?»])|(?<=«) ")


def unbreakable(text: str) -> str:
    return _SPACE_BEFORE_PUNCTUATION.sub("\u00a0", keep_together(text))


def inline_runs(inline, ctx: _Ctx | None) -> list[Run]:
    """An inline token's children as runs: emphasis, code, computed values, math in Unicode."""
    runs: list[Run] = []
    bold = italic = 0
    for c in inline.children or []:
        if c.type in ("strong_open", "strong_close"):
            bold += 1 if c.type.endswith("open") else -1
        elif c.type in ("em_open", "em_close"):
            italic += 1 if c.type.endswith("open") else -1
        elif c.type == "text":
            runs.append(Run(unbreakable(c.content), bold > 0, italic > 0))
        elif c.type == "softbreak":
            runs.append(Run(" "))
        elif c.type == "hardbreak":
            runs.append(Run("\v"))
        elif c.type == "code_inline":
            runs.append(_code_inline(c, bold > 0))
        elif c.type == "math_inline":
            runs.append(Run(math_text(c.content), bold > 0, True))
        elif c.type == "image":
            runs.append(Run("".join(k.content for k in c.children or []) or c.content, italic=True))
    return runs


def _code_inline(c, bold: bool) -> Run:
    expr = c.meta.get("expr")
    if expr is None:
        return Run(c.content, bold, mono=True)
    if expr.claim is not None and is_blank(expr.claim):
        answered = expr.text != expr.claim
        return Run(unbreakable(expr.text), bold, highlight=ANSWER_BG if answered else None,
                   colour=ANSWER_INK if answered else None)
    return Run(unbreakable(expr.text), bold)


def cell_blocks(cell: Cell, ctx: _Ctx) -> list:
    """A cell's code (if shown) and its outputs."""
    from ..source.markdown import markdown

    if cell.options.callouts:
        ctx.lost["callouts"] = ctx.lost.get("callouts", 0) + 1
    if cell.options.code_steps:
        ctx.lost["code steps"] = ctx.lost.get("code steps", 0) + 1
    out: list = []
    grown = ctx.code_sizes.get(cell.index)
    if cell.options.echo:
        out.append(Code(code_runs(cell.display or cell.code, cell.lang, cell.replacements), grown=grown))
    for o in cell.outputs:
        if o.kind in ("text", "error"):
            ink = ERROR_INK if o.kind == "error" else OUTPUT_INK
            out.append(Code([[Run(line, mono=True, colour=ink)] for line in o.content.split("\n")], output=True,
                            grown=grown))
        elif o.kind == "svg":
            out.append(Picture(o.content, o.alt or cell.options.caption))
        elif o.kind == "html":
            out.append(html_table(o.content))
        elif o.kind == "markdown":
            inner = _Ctx(ctx.deck, ctx.slide, ctx.project_root, ctx.lost, seen_title=True)
            out.extend(_blocks(markdown().parse(o.content), inner))
    return out


def html_table(html: str) -> Table | Text:
    """A cell's table (`_repr_html_`, cleaned already) as a table; other HTML as its text."""
    import lxml.html

    root = lxml.html.fragment_fromstring(html, create_parent="div")
    table = root.find(".//table")
    if table is None:
        return Text([Para([Run(root.text_content().strip())])])
    cells = [list(tr.iter("th", "td")) for tr in table.iter("tr")]
    rows = [[[Run(" ".join(cell.text_content().split()), bold=cell.tag == "th")] for cell in tr] for tr in cells]
    width = max((sum(_colspan(c) for c in tr) for tr in cells), default=1)
    caption = table.find("caption")
    offset = 1 if caption is not None else 0
    spans = {(i + offset, j): _colspan(c) for i, tr in enumerate(cells) for j, c in enumerate(tr) if _colspan(c) > 1}
    # numbers aligned as the page aligns them (figures.summary's `num` cells, a `text-align` style)
    right = {(i + offset, j) for i, tr in enumerate(cells) for j, c in enumerate(tr)
             if "num" in (c.get("class") or "").split() or _aligned_right(c.get("style"))}
    if caption is not None:  # a band across the table, as the page shows it above the table
        rows.insert(0, [[Run(" ".join(caption.text_content().split()), bold=True)]])
        spans[(0, 0)] = width
    return Table(rows, header=bool(table.findall(".//th")), spans=spans, right=right)


def _colspan(cell) -> int:
    try:
        return max(1, int(cell.get("colspan", "1")))
    except ValueError:
        return 1


@functools.lru_cache(maxsize=1)
def _code_style():
    from pygments import token
    from pygments.style import Style

    from ..render.highlight import _TOKEN_STYLES

    class DeckStyle(Style):  # the slides' own colours (render/highlight.py)
        styles = {token.string_to_tokentype(name): value for name, value in _TOKEN_STYLES.items()}

    return DeckStyle


def code_runs(text: str, lang: str, replacements: list) -> list[list[Run]]:
    """Per line, the runs of highlighted code, cut where a computed value starts and ends."""
    from ..render.highlight import _lexer

    style = _code_style()
    marks: dict[int, list[tuple]] = {}
    for r in replacements:
        answered = r.blank is not None and r.text != r.blank
        colours = (ANSWER_BG, ANSWER_INK) if answered else (None, None) if r.blank is not None else (COMPUTED_BG, None)
        marks.setdefault(r.line, []).append((r.start, r.end, *colours))
    lines: list[list[Run]] = [[]]
    pos = 0
    for ttype, value in _lexer(lang).get_tokens(text):
        for k, part in enumerate(value.split("\n")):
            if k:
                lines.append([])
                pos = 0
            s = style.style_for_token(ttype)
            for _start, piece, bg, ink in _cut(part, pos, marks.get(len(lines) - 1, [])):
                lines[-1].append(Run(piece, bool(s["bold"]), False, True, ink or (s["color"] or None), bg))
            pos += len(part)
    return lines


def _cut(part: str, pos: int, marks: list):
    """The piece of a line's text at column `pos`, cut at the computed values' edges, with their colours."""
    cuts = sorted({c for m in marks for c in m[:2] if pos < c < pos + len(part)})
    edges = [pos, *cuts, pos + len(part)]
    for a, b in zip(edges, edges[1:]):
        if a == b:
            continue
        mark = next((m for m in marks if m[0] <= a < m[1]), None)
        yield a, part[a - pos:b - pos], mark[2] if mark else None, mark[3] if mark else None


def math_text(tex: str) -> str:
    """Inline math in Unicode (pylatexenc), for a text run: `\\frac{a}{b}` as `(a)/(b)`, `w_1` as `w₁`
    and `2^4` as `2⁴` where Unicode has every character of the index (else `x_(i+k)`)."""
    text = _latex_to_text()(_SCRIPT.sub(_script, tex)).strip().replace("^ᵀ", "ᵀ")
    return re.sub(r" {2,}", " ", text)  # `k^2 \\, C`: TeX's thin space and the source's, one space


_SUB = str.maketrans("0123456789+-−=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUP = str.maketrans("0123456789+-−=()abcdefghijklmnoprstuvwxyzT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀ")
# an index: `_1`, `^{-x}`, `_{\\text{sortie}}` (one level of braces: what inline math on a slide holds)
_SCRIPT = re.compile(r"([_^])(?:\{((?:[^{}]|\{[^{}]*\})*)\}|([A-Za-z0-9])|(\\text\{[^{}]*\}))")


def _script(m: re.Match) -> str:
    if m.group(2) is not None and "\\" in m.group(2) and not m.group(2).lstrip().startswith("\\text"):
        return m.group()  # `^\\top`, `_{\\alpha}`: pylatexenc's own
    inner = _latex_to_text()(next(g for g in m.groups()[1:] if g is not None)).strip()
    table = _SUB if m.group(1) == "_" else _SUP
    shown = inner.translate(table)
    if len(inner) <= 3 and not any(c.isascii() for c in shown):  # a longer index reads better in full
        return shown
    if len(inner) == 1 or inner.isalnum() or (inner.startswith("(") and inner.endswith(")")):
        return m.group(1) + inner
    return f"{m.group(1)}({inner})"


def _grouped(s: str) -> str:
    """A fraction's term, in parentheses unless it is one symbol or one word (`1/(1 + e^-x)`)."""
    return s if len(s) == 1 or s.isalnum() else f"({s})"


@functools.lru_cache(maxsize=1)
def _latex_to_text():
    from pylatexenc import latex2text

    def frac(n, l2tobj):
        a, b = (l2tobj.nodelist_to_text([arg]).strip() for arg in n.nodeargd.argnlist[-2:])
        return f"{_grouped(a)}/{_grouped(b)}"

    db = latex2text.get_default_latex_context_db().filter_context(keep_categories=None)
    db.add_context_category("deck", prepend=True, macros=[
        latex2text.MacroTextSpec("frac", simplify_repl=frac),
        *[latex2text.MacroTextSpec(name, f"{name} ") for name in ("log", "exp", "sin", "cos", "max", "min")],
        latex2text.MacroTextSpec("top", "ᵀ")])
    converter = latex2text.LatexNodes2Text(math_mode="text", latex_context=db)
    return converter.latex_to_text
