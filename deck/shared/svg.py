"""The deterministic SVG writer of matplotlib figures, for `figures/` and for figures a cell draws, and
how a figure sits in a slide.

The same figure gives the same bytes: fixed id salt, no date or creator, ids scoped to the figure so
that several figures inlined in one HTML page never share ids.

Text stays text: `<text>` elements in the deck's font (Source Sans 3), so a PDF made from the deck is
searchable and WeasyPrint lays out a few strings instead of thousands of glyph outlines. A figure is
inlined in the page as an `<svg>` element (`figure_html`): an SVG inside `<img>` cannot use the
page's @font-face fonts, in Chromium or in WeasyPrint, while inline `<text>` uses them in both. Text
the deck's font cannot write (Greek letters, math, symbols) is drawn as outlines instead.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import html
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

#: the deck's text font (deck/render/themes/fonts), the one figures write their text in
DECK_FONT = "Source Sans 3"
FONT_DIR = Path(__file__).resolve().parents[1] / "render" / "themes" / "fonts"
_FONT_FILES = ("source-sans-3-latin-400-normal.woff", "source-sans-3-latin-400-italic.woff",
               "source-sans-3-latin-600-normal.woff", "source-sans-3-latin-700-normal.woff")

#: settings that make the SVG output byte-for-byte reproducible, with text as text
SVG_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "deck",
    "svg.fonttype": "none",
    "svg.image_inline": True,
    "svg.id": None,
    # a cell's figure in the default sans-serif is measured and written in the deck's font too
    "font.sans-serif": [DECK_FONT, "DejaVu Sans"],
}

#: how tall a figure may be on a slide (a figure is scaled down to the slide's width and this height)
FIGURE_MAX_HEIGHT_PX = 330
#: the margin a figure's SVG keeps around what it draws (`render_svg`), in inches each side
SVG_PAD_INCHES = 0.06
#: the height in slide px its slide leaves the figure of the cell running now, estimated by deck before
#: the cell runs (render/page_fit.py `figure_room`); None: not known (figures then plan for
#: FIGURE_MAX_HEIGHT_PX). Figure builders size their text for it (figures/palette.py `legible_fonts`).
figure_room: contextvars.ContextVar[float | None] = contextvars.ContextVar("figure_room", default=None)

_ID_RE = re.compile(r'\bid="([^"]+)"')


# --- the deck's font, for matplotlib ------------------------------------------------------------
_registered: dict[str, Any] = {}


def register_deck_font() -> frozenset[int]:
    """Make the deck's font known to matplotlib (its FreeType reads TTF, not the themes' WOFF files:
    they are converted once into deck's cache folder); returns the code points it covers."""
    from matplotlib import font_manager

    files = _registered.get("files")
    if files and all(Path(f).is_file() for f in files):
        return _registered["covered"]
    from fontTools.ttLib import TTFont

    from .files import cache_root, write_atomic
    from .store import Store, read_regular

    folder = cache_root() / "fonts"
    store = Store(cache_root())
    paths, covered = [], None
    for name in _FONT_FILES:
        data = (FONT_DIR / name).read_bytes()
        target = folder / f"{Path(name).stem}-{hashlib.sha256(data).hexdigest()[:12]}.ttf"
        # fontTools would stamp the file with the time; the converted file depends on its source only
        font = TTFont(io.BytesIO(data), recalcTimestamp=False)
        if covered is None:
            covered = frozenset(font.getBestCmap())
        # the file matplotlib reads is plain TrueType; its digest is a signed entry of the cache store,
        # so that a font planted in a shared cache folder is converted again, never drawn with
        digest = store.get("fonts", f"{target.name}.sha256")
        held = read_regular(target)
        if held is None or digest is None or hashlib.sha256(held).hexdigest().encode() != digest:
            font.flavor = None
            out = io.BytesIO()
            font.save(out)
            write_atomic(target, out.getvalue())
            store.put("fonts", f"{target.name}.sha256", hashlib.sha256(out.getvalue()).hexdigest().encode())
        paths.append(str(target))
    # a font registered from a folder that has gone since (another cache folder): forget it
    font_manager.fontManager.ttflist = [f for f in font_manager.fontManager.ttflist
                                        if f.name != DECK_FONT or Path(f.fname).is_file()]
    for path in paths:
        font_manager.fontManager.addfont(path)
    _registered.update(files=paths, covered=covered)
    assert covered is not None  # _FONT_FILES is not empty
    return covered


@contextlib.contextmanager
def _uncovered_text_as_paths(fig, covered: frozenset[int]) -> Iterator[None]:
    """Texts the deck's font cannot write (math, Greek, symbols) are drawn as outlines (a path effect
    makes matplotlib draw a text as a path even with svg.fonttype "none"); restored afterwards."""
    from matplotlib import patheffects
    from matplotlib.text import Text

    changed = []
    for text in fig.findobj(Text):
        s = text.get_text()
        if not s or text.get_path_effects():
            continue
        is_math = text._preprocess_math(s)[1]
        if is_math or any(ord(ch) not in covered for ch in s if ch != "\n"):
            changed.append(text)
            text.set_path_effects([patheffects.Normal()])
    try:
        yield
    finally:
        for text in changed:
            text.set_path_effects([])


# --- the writer ---------------------------------------------------------------------------------
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


def render_svg(fig, *, title: str | None = None, pad_inches: float = SVG_PAD_INCHES) -> str:
    """Deterministic SVG document of ``fig`` (same figure -> same bytes).

    Text is written as ``<text>`` in the deck's font (outlines for what it cannot write), ids are
    salted with a fixed value and then scoped to the figure, no date or creator is written, the XML
    prolog/doctype and matplotlib's metadata block are dropped. ``title`` becomes the SVG
    ``<title>`` (read by screen readers).
    """
    import matplotlib

    covered = register_deck_font()
    buf = io.StringIO()
    with matplotlib.rc_context(SVG_RC), _uncovered_text_as_paths(fig, covered):
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
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    svg = _scope_ids(svg)
    if title:
        end = svg.index(">") + 1
        svg = svg[:end] + f"\n <title>{html.escape(title, quote=False)}</title>" + svg[end:]
    return svg


# --- in a slide ---------------------------------------------------------------------------------
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"

# What a figure may hold once inlined in the deck: shapes, text, images as data, styles that point
# nowhere outside. No scripts, links, foreign HTML, animations or external references of any kind:
# a cell's figure goes through here too, and its texts and urls are the cell's.
_ELEMENTS = {"svg", "g", "defs", "style", "title", "desc", "path", "rect", "circle", "ellipse", "line",
             "polyline", "polygon", "text", "tspan", "use", "clipPath", "mask", "pattern", "image",
             "linearGradient", "radialGradient", "stop", "symbol", "marker", "filter", "feGaussianBlur",
             "feOffset", "feBlend", "feFlood", "feComposite", "feMerge", "feMergeNode", "feColorMatrix"}
_UNWRAP = {"a", "switch"}  # their children are kept, not their behaviour
_IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*\Z")

# Styles are an allow-list, not a deny-list: CSS has too many ways to fetch (`image-set(`, escapes such
# as `u\72l(`, `@import`, ...). A declaration is kept only if its property is a presentation property
# below and its value is plain: words, numbers, colours, quotes, and no function but a reference
# inside the figure (`url(#id)`), a colour or a transform. A style attribute or a <style> element
# with anything else is dropped whole (figures deck draws never have one).
_PROPERTIES = frozenset("""
    fill fill-opacity fill-rule stroke stroke-width stroke-opacity stroke-linecap stroke-linejoin
    stroke-dasharray stroke-dashoffset stroke-miterlimit opacity font font-family font-size font-weight
    font-style font-variant font-stretch text-anchor dominant-baseline alignment-baseline baseline-shift
    letter-spacing word-spacing text-decoration white-space image-rendering shape-rendering
    text-rendering color display visibility overflow clip-path clip-rule mask marker marker-start
    marker-mid marker-end stop-color stop-opacity vertical-align width height paint-order vector-effect
    flood-color flood-opacity color-interpolation-filters mix-blend-mode transform transform-origin
""".split())
_FUNCTIONS = re.compile(r"url\(#[-\w.:]+\)|(?:rgba?|hsla?|matrix|translate[XY]?|scale[XY]?|rotate|skew[XY])"
                        r"\([-+\d.,%\se]*\)", re.I)
_PLAIN = re.compile(r"[-+\w.#%,\s'\"/]*\Z")
_RULE = re.compile(r"\s*([-\w\s#.*,>+~]+?)\s*\{([^{}]*)\}")
# attributes whose value is text, never read as CSS (a formula's TeX in its label)
_TEXT_ATTRIBUTES = frozenset({"aria-label", "aria-hidden", "class", "id", "role", "lang", "space"})


def plain_value(value: str) -> bool:
    """A CSS value with nothing that could fetch or escape: see `_PROPERTIES`."""
    return bool(_PLAIN.match(_FUNCTIONS.sub("", value)))


def safe_declarations(text: str) -> bool:
    """`prop: value; ...` of allowed properties with plain values only."""
    for declaration in text.split(";"):
        if not declaration.strip():
            continue
        name, colon, value = declaration.partition(":")
        if not colon or name.strip().lower() not in _PROPERTIES or not plain_value(value):
            return False
    return True


def safe_stylesheet(text: str) -> bool:
    """A <style> of plain rules (`#id * {...}`): no at-rule, no comment, every declaration allowed."""
    end = 0
    for rule in _RULE.finditer(text):
        if rule.start() != end or not safe_declarations(rule.group(2)):
            return False
        end = rule.end()
    return not text[end:].strip()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _safe_attribute(element: str, name: str, value: str) -> bool:
    local = _local(name)
    if local.lower().startswith("on"):
        return False
    if local == "href":
        return value.startswith("#") and plain_value(value) or (element == "image" and bool(_IMAGE_DATA.match(value)))
    if local == "style":
        return safe_declarations(value)
    if local in _TEXT_ATTRIBUTES:
        return True
    return plain_value(value)  # a presentation attribute is CSS too: `fill="url(http://...)"` fetches


def _clean(node: ET.Element) -> None:
    """Keep what `_ELEMENTS` allows, in place."""
    out: list[ET.Element] = []
    for child in list(node):
        tag = _local(child.tag) if isinstance(child.tag, str) else ""
        if tag in _UNWRAP:
            _clean(child)
            out.extend(list(child))
            continue
        if tag not in _ELEMENTS or (tag == "style" and (len(child) or not safe_stylesheet(child.text or ""))):
            continue
        for name, value in list(child.attrib.items()):
            if not _safe_attribute(tag, name, value):
                del child.attrib[name]
        _clean(child)
        out.append(child)
    node[:] = out


def safe_svg(svg: str) -> str:
    """``svg`` with nothing that could run, link or load: the allowed elements and attributes only."""
    root = ET.fromstring(svg)
    if _local(root.tag) != "svg":
        raise ValueError("not an SVG document")
    for name, value in list(root.attrib.items()):
        if not _safe_attribute("svg", name, value):
            del root.attrib[name]
    _clean(root)
    out: list[str] = []
    _write(root, out, top=True)
    return "".join(out)


def is_safe_svg(svg: str) -> bool:
    """Does ``svg`` hold only what :func:`safe_svg` keeps (so that it can be inserted as it is)?"""
    try:
        root = ET.fromstring(svg)
    except ET.ParseError:
        return False
    as_is: list[str] = []
    _write(root, as_is, top=True)
    try:
        return "".join(as_is) == safe_svg(svg)
    except ValueError:
        return False


def _name(qname: str) -> str:
    if qname.startswith("{"):
        uri, local = qname[1:].split("}", 1)
        return f"xlink:{local}" if uri == _XLINK_NS else local
    return qname


def _write(node: ET.Element, out: list[str], top: bool = False) -> None:
    """SVG markup of ``node``, written by hand: ElementTree would invent ns0: prefixes."""
    tag = _local(node.tag)
    attrs = "".join(f' {_name(k)}="{html.escape(v)}"' for k, v in node.attrib.items())
    if top:
        attrs = f' xmlns="{_SVG_NS}" xmlns:xlink="{_XLINK_NS}"' + attrs
    out.append(f"<{tag}{attrs}>")
    if node.text:
        # a <style> is CSS: escaping its quotes would break it (it holds no "<", matplotlib's never does)
        out.append(node.text if tag == "style" and "<" not in node.text else html.escape(node.text, quote=False))
    for child in node:
        _write(child, out)
        if child.tail:
            out.append(html.escape(child.tail, quote=False))
    out.append(f"</{tag}>")


def figure_html(svg: str, alt: str, caption: str = "") -> str:
    """How a figure's SVG sits in a slide (HTML deck and print document alike): inline, so that its
    text is set in the page's fonts, with its caption under it. Its size is the theme's (`.figure svg`
    in base.css: the space the slide's text and the caption leave, the drawing's ratio kept)."""
    svg = safe_svg(svg)
    attrs = f'role="img" aria-label="{html.escape(alt)}"'
    svg = re.sub(r"^<svg\b", f"<svg {attrs}", svg, count=1)
    if caption:
        return f'<figure class="figure captioned">{svg}<figcaption>{html.escape(caption)}</figcaption></figure>'
    return f'<figure class="figure">{svg}</figure>'
