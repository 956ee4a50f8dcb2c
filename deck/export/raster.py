"""SVG figures and math as PNG for the PowerPoint file, with resvg (resvg-py: the Rust renderer
browsers' test suites compare against; a wheel, no system library): text in the deck's own font."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

#: pixels across a 16:9 slide on a full-HD projector; figures are drawn at twice that, for a sharp zoom
PROJECTOR_WIDTH = 1920
OVERSAMPLE = 2
_LENGTH = re.compile(r"^\s*([0-9.]+)\s*(px|pt)?\s*$")


def svg_size(svg: str) -> tuple[float, float]:
    """The drawn size of an SVG (width, height in its user units), from its viewBox or attributes."""
    root = ET.fromstring(svg)
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if len(box) == 4:
        return float(box[2]), float(box[3])
    sizes = [_LENGTH.match(root.get(k) or "") for k in ("width", "height")]
    width, height = sizes
    if width and height:
        return float(width.group(1)), float(height.group(1))
    raise ValueError("the SVG has neither a viewBox nor a width and height")


def em_height(svg: str) -> float | None:
    """The height of a math SVG in em of the text around it (ziamath writes `style="height:1.9em"`)."""
    m = re.search(r"height:\s*([0-9.]+)em", ET.fromstring(svg).get("style") or "")
    return float(m.group(1)) if m else None


def _sized(svg: str) -> str:
    """The SVG with a width and height (math has only a viewBox and CSS sizes, which resvg ignores)."""
    root = ET.fromstring(svg)
    if root.get("width") and root.get("height"):
        return svg
    w, h = svg_size(svg)
    return re.sub(r"^<svg\b", f'<svg width="{w:g}" height="{h:g}"', svg, count=1)


def png(svg: str, width_fraction: float) -> bytes:
    """The SVG as PNG, for a picture `width_fraction` of the slide's width wide."""
    import resvg_py

    from ..shared.svg import register_deck_font

    register_deck_font()  # the TTF copies of the deck's font, in deck's cache folder
    from ..shared.svg import _registered

    pixels = max(16, round(PROJECTOR_WIDTH * OVERSAMPLE * width_fraction))
    return bytes(resvg_py.svg_to_bytes(svg_string=_sized(svg), width=pixels, dpi=96.0, background="#ffffff",
                                       font_files=list(_registered.get("files") or []),
                                       sans_serif_family="Source Sans 3", font_family="Source Sans 3"))
