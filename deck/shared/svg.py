"""The deterministic SVG writer of matplotlib figures, for `figures/` and for figures a cell draws.

The same figure gives the same bytes: fixed id salt, no date or creator, ids scoped to the figure so
that several figures inlined in one HTML page never share ids.
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from typing import Any

#: settings that make the SVG output byte-for-byte reproducible
SVG_RC: dict[str, Any] = {
    "svg.hashsalt": "deck",
    "svg.fonttype": "path",
    "svg.image_inline": True,
    "svg.id": None,
}

_ID_RE = re.compile(r'\bid="([^"]+)"')


def _scope_ids(svg: str) -> str:
    """Prefix every id with a content hash so that several figures inlined in the
    same HTML page never share ids, and scope matplotlib's global ``*{...}`` CSS
    rule to this figure only. Deterministic (depends on the content only)."""
    digest = hashlib.sha256(svg.encode("utf-8")).hexdigest()[:10]
    prefix = f"f{digest}-"
    ids = set(_ID_RE.findall(svg))

    def sub_id(m: re.Match) -> str:
        return f'id="{prefix}{m.group(1)}"'

    def sub_ref(m: re.Match) -> str:
        ref = m.group(2)
        if ref in ids:
            ref = prefix + ref
        return f"{m.group(1)}#{ref}{m.group(3)}"

    svg = _ID_RE.sub(sub_id, svg)
    svg = re.sub(r'((?:xlink:)?href=")#([^"]+)(")', sub_ref, svg)
    svg = re.sub(r"(url\()#([^)]+)(\))", sub_ref, svg)
    root_id = f"f{digest}"
    svg = svg.replace("<svg ", f'<svg id="{root_id}" ', 1)
    svg = svg.replace("<style type=\"text/css\">*{", f'<style type="text/css">#{root_id} *{{', 1)
    return svg


def render_svg(fig, *, title: str | None = None, pad_inches: float = 0.06) -> str:
    """Deterministic SVG document of ``fig`` (same figure -> same bytes).

    Text is converted to paths (no font needed by the viewer), ids are salted
    with a fixed value and then scoped to the figure, no date or creator is
    written, the XML prolog/doctype are dropped. ``title`` becomes the SVG
    ``<title>`` (read by screen readers).
    """
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(SVG_RC):
        fig.savefig(
            buf,
            format="svg",
            metadata={"Date": None, "Creator": None},
            bbox_inches="tight",
            pad_inches=pad_inches,
            facecolor=fig.get_facecolor(),
        )
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = _scope_ids(svg)
    if title:
        end = svg.index(">") + 1
        svg = svg[:end] + f"\n <title>{html.escape(title, quote=False)}</title>" + svg[end:]
    return svg




def figure_html(svg: str, alt: str) -> str:
    """How a figure's SVG sits in a slide (HTML deck and print document alike)."""
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<figure class="figure"><img src="{uri}" alt="{html.escape(alt)}"></figure>'
