"""How an executed value is shown on a slide (text, SVG or HTML), in the deck's language."""
from __future__ import annotations

import re

from ..document import Output
from ..shared.locale import format_number


def as_text(value, lang: str) -> str:
    """The short text of a value, for inline expressions and result comments."""
    if hasattr(value, "_deck_text_"):
        return value._deck_text_()
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        return format_number(value, lang)
    if type(value).__name__ == "Size" or (isinstance(value, tuple) and value and all(isinstance(d, int) for d in value)):
        from .cell_api import Shape

        return str(Shape(value))
    if hasattr(value, "dim") and hasattr(value, "numel"):  # a tensor
        if value.device.type == "meta":
            return f"tensor(shape={tuple(value.shape)}, device='meta')"
        if value.numel() == 1:
            return format_number(value.item(), lang)
    return strip_addresses(str(value))


ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def strip_addresses(text: str) -> str:
    """`<Foo object at 0x7f3a...>` differs at every run; a slide (and a reproducible build) shows `<Foo object>`."""
    return ADDRESS.sub("", text)


def rich_output(value, caption: str = "") -> Output | None:
    """An SVG or HTML output when the value knows how to draw itself (IPython's repr protocol)."""
    if hasattr(value, "_repr_svg_"):
        svg = value._repr_svg_()
        if svg:
            return Output("svg", svg, alt=caption or getattr(value, "alt", ""))
    if type(value).__name__ == "Figure" and hasattr(value, "savefig"):
        return Output("svg", figure_svg(value), alt=caption)
    if hasattr(value, "_repr_html_"):
        html = value._repr_html_()
        if html:
            return Output("html", clean_html(html), alt=caption)
    return None


def figure_svg(fig) -> str:
    """A matplotlib figure drawn by a cell, as SVG: the same deterministic writer as figures/."""
    from ..shared.svg import render_svg

    return render_svg(fig)


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
