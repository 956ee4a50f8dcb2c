"""How an executed value is shown on a slide (text, SVG or HTML), in the deck's language."""
from __future__ import annotations

import io
import re

from ..document import Output
from ..shared.locale import format_number
from ..shared.values import is_module, is_tensor


def as_text(value, lang: str, in_code: bool = False) -> str:
    """The text of a value, in the deck's language; `in_code`: as code writes numbers (a decimal point)."""
    if hasattr(value, "_deck_text_"):
        try:
            text = value._deck_text_(in_code=in_code)
        except TypeError:  # a lecturer's own object with the older, argument-less protocol
            text = value._deck_text_()
        return _text_of(text, "its _deck_text_ returned", drawing=False)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        return format_number(value, lang, in_code=in_code)
    if _is_scalar_array(value):  # numpy scalars (np.int64 is not an int)
        return as_text(value.item(), lang, in_code)
    if type(value).__name__ == "Size" or (isinstance(value, tuple) and value and all(isinstance(d, int) for d in value)):
        from .cell_api import Shape

        return str(Shape(value))
    if is_tensor(value):
        if value.device.type == "meta":
            return f"tensor(shape={tuple(value.shape)}, device='meta')"
        if value.numel() == 1 and not value.is_complex():
            return as_text(value.item(), lang, in_code)
    if isinstance(value, (set, frozenset)):
        try:  # a set's order depends on the hash seed: a slide (and a reproducible build) sorts it
            return "{" + ", ".join(repr(v) for v in sorted(value)) + "}" if value else repr(value)
        except TypeError:
            pass
    return strip_addresses(str(value))


# What a cell's printed text may put on a slide. A slide shows a few dozen lines: a cell printing
# megabytes made the PDF phase run for minutes and the HTML hundreds of MB. Past either cap the
# text is cut, with a note saying how much the cell printed.
MAX_OUTPUT_CHARS = 20_000
MAX_OUTPUT_LINES = 200


class PrintedText(io.StringIO):
    """What a cell prints: the first MAX_OUTPUT_CHARS characters kept, the rest only counted (so
    that printing 200 MB costs no memory)."""

    def __init__(self):
        super().__init__()
        self.chars = 0

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"string argument expected, got '{type(text).__name__}'")
        room = MAX_OUTPUT_CHARS - min(self.chars, MAX_OUTPUT_CHARS)
        if room > 0:
            super().write(text[:room])
        self.chars += len(text)
        return len(text)


def capped(text: str, lang: str, printed: int | None = None) -> str:
    """`text` as a slide shows it: past MAX_OUTPUT_LINES lines or MAX_OUTPUT_CHARS characters, a note
    saying how much there was, then its start (`printed`: the characters of the whole, when `text`
    is what a PrintedText kept of it)."""
    printed = len(text) if printed is None else printed
    kept = text[:MAX_OUTPUT_CHARS].split("\n")[:MAX_OUTPUT_LINES]
    shown = "\n".join(kept)
    if len(shown) == len(text) and printed <= MAX_OUTPUT_CHARS:
        return text
    total, first = format_number(printed, lang), format_number(len(kept), lang)
    # the note first: an output longer than its slide is clipped at the bottom
    if lang == "fr":
        note = f"[sortie coupée : la cellule a écrit {total} caractères ; ses {first} premières lignes suivent]"
    else:
        note = f"[output cut: the cell printed {total} characters; its first {first} lines follow]"
    return note + "\n" + shown.rstrip("\n") + "\n…"


ONE_LINE = 80  # a result comment or an inline value longer than this is summarised


def short_text(value, lang: str, in_code: bool = False) -> str:
    """The text of a value on one line (inline expressions, result comments): a module, a big tensor
    or any long repr is summarised by its class and size instead of being dumped."""
    text = as_text(value, lang, in_code)
    if "\n" not in text and len(text) <= ONE_LINE:
        return text
    fr = lang == "fr"
    if is_tensor(value):
        kind = "tenseur de forme" if fr else "tensor of shape"
        return f"{kind} {tuple(value.shape)}, {str(value.dtype).removeprefix('torch.')}"
    if is_module(value):
        n = sum(p.numel() for p in value.parameters())
        unit = "paramètres" if fr else "parameters"
        return f"{type(value).__name__}(…), {format_number(n, lang, in_code=in_code)} {unit}"
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        unit = ("éléments" if fr else "items")
        return f"{type(value).__name__} ({format_number(len(value), lang)} {unit})"
    first = text.strip().split("\n")[0]
    return first[:ONE_LINE - 1].rstrip() + "…"


def _is_scalar_array(value) -> bool:
    return type(value).__module__ == "numpy" and getattr(value, "shape", None) == () and hasattr(value, "item")


ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def strip_addresses(text: str) -> str:
    """`<Foo object at 0x7f3a...>` differs at every run; a slide (and a reproducible build) shows `<Foo object>`."""
    return ADDRESS.sub("", text)


def rich_output(value, caption: str = "") -> Output | None:
    """An SVG or HTML output when the value knows how to draw itself (IPython's repr protocol)."""
    if hasattr(value, "_repr_svg_"):
        svg = _text_of(value._repr_svg_(), "its _repr_svg_ returned")
        if svg:
            alt = caption or _text_of(getattr(value, "alt", ""), "its `alt` (the figure's description) is", drawing=False)
            return Output("svg", svg, alt=alt)
    if type(value).__name__ == "Figure" and hasattr(value, "savefig"):
        return Output("svg", figure_svg(value), alt=caption)
    if hasattr(value, "_repr_html_"):
        html = _text_of(value._repr_html_(), "its _repr_html_ returned")
        if html:
            return Output("html", clean_html(html), alt=caption)
    return None


MAX_DRAWING_CHARS = 8_000_000  # an SVG figure or HTML table past this is refused (it cannot be cut)


class NotShowable(TypeError):
    """A value whose own methods (`_repr_svg_`, `_repr_html_`, `alt`, `_deck_text_`) give what deck
    cannot show: the cell's error, said without deck's traceback."""


def _text_of(value, what: str, drawing: bool = True) -> str:
    """`value` if it is text (or nothing), and not too big when it is a `drawing`; else an error the
    cell is blamed for, at its line."""
    if value is None or isinstance(value, str):
        if drawing and value and len(value) > MAX_DRAWING_CHARS:
            raise NotShowable(f"{what} {len(value):,} characters, more than the {MAX_DRAWING_CHARS:,} a slide "
                              "takes (draw fewer points, or a summary)")
        return value or ""
    raise NotShowable(f"{what} {type(value).__name__}, not text (str)")


def figure_svg(fig) -> str:
    """A matplotlib figure drawn by a cell, as SVG: the same deterministic writer as figures/, in the
    deck's language and style, its text checked for the back row (figures/lecturer.py)."""
    from figures.labels import resolve_lang
    from figures.lecturer import check_legible, follow_deck

    from ..shared.svg import render_svg

    follow_deck(fig, resolve_lang(None))
    svg = _text_of(render_svg(fig), "its SVG is")
    check_legible(fig, svg)
    return svg


# What a table-like `_repr_html_` may keep. No scripts, styles, links, images or URLs of any kind:
# such an output must not run code in the deck or pull a file into it.
ALLOWED_TAGS = {"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
                "span", "div", "p", "b", "i", "em", "strong", "code", "pre", "br", "sub", "sup",
                "small", "ul", "ol", "li"}
ALLOWED_ATTRIBUTES = {"*": {"class", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"}}


def clean_html(html: str) -> str:
    import nh3

    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=set(),
                     link_rel=None, strip_comments=True)
