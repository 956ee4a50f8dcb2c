"""LaTeX math to inline SVG at build time, with matplotlib's mathtext (no LaTeX, no JavaScript).

Glyphs become SVG paths filled with `currentColor`, so math takes the colour of the text around it
and looks the same in the browser and in WeasyPrint's PDF. Results are cached by content.
"""
from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

from ..errors import Location, SourceError
from ..shared.files import write_atomic

FONT_SIZE = 100.0  # draw large and scale with em units; precision of the path coordinates


@functools.lru_cache(maxsize=4096)
def math_svg(tex: str, display: bool = False) -> str:
    """`tex` (without dollars) as an inline <svg> sized in em, aligned on the text baseline."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser
    from matplotlib.textpath import TextPath

    prop = FontProperties(size=FONT_SIZE, math_fontfamily="cm")
    source = f"${tex}$"
    width, height, depth = MathTextParser("path").parse(source, dpi=72, prop=prop)[:3]
    path = TextPath((0, 0), source, prop=prop)
    d = _path_data(path, height - depth)
    w_em, h_em, depth_em = width / FONT_SIZE, height / FONT_SIZE, depth / FONT_SIZE
    cls = "math display" if display else "math"
    label = _escape(tex)
    return (f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
            f'viewBox="0 0 {width:.2f} {height:.2f}" '
            f'style="width:{w_em:.3f}em;height:{h_em:.3f}em;vertical-align:{-depth_em:.3f}em">'
            f'<path fill="currentColor" d="{d}"/></svg>')


def _path_data(path, ascent: float) -> str:
    """SVG path data, flipping y (matplotlib's y goes up, SVG's down)."""
    out = []
    commands = {1: "M", 2: "L", 3: "Q", 4: "C"}
    for vertices, code in path.iter_segments(simplify=False, curves=True):
        if code == 79:  # CLOSEPOLY
            out.append("Z")
            continue
        pts = " ".join(f"{x:.1f} {ascent - y:.1f}" for x, y in vertices.reshape(-1, 2))
        out.append(commands[code] + pts)
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def render_math(tex: str, display: bool, location: Location, cache_dir: Path | None = None) -> str:
    """Math as SVG, from the disk cache when drawn before (a rebuild then needs no matplotlib)."""
    tex = tex.strip()
    path = None
    if cache_dir is not None:
        from importlib.metadata import version

        key = hashlib.sha256(f"{tex}\0{display}\0{version('matplotlib')}\0{_CODE}".encode()).hexdigest()
        path = cache_dir / "math" / key[:2] / f"{key}.svg"
        try:
            cached = path.read_text(encoding="utf-8")
            if is_math_svg(cached, tex, display):
                return cached
        except (OSError, UnicodeDecodeError):
            pass
    try:
        svg = math_svg(tex, display)
    except RecursionError:
        raise SourceError(f"cannot draw math ${_shown(tex)}$: it is nested too deeply", location) from None
    except Exception as exc:  # noqa: BLE001 - mathtext's parse errors, and its failures on odd input
        first = str(exc).strip().splitlines()
        why = first[-1] if isinstance(exc, ValueError) and first else f"{type(exc).__name__}: {exc}"
        raise SourceError(f"cannot draw math ${_shown(tex)}$: {why}", location) from None
    if path is not None:
        write_atomic(path, svg, best_effort=True)
    return svg


def _shown(tex: str, most: int = 60) -> str:
    return tex if len(tex) <= most else tex[:most] + "…"


# Exactly what math_svg writes: a cached file that is anything else (damaged, or planted in a shared
# cache with an onload or a script) is drawn again, never inserted into a deck.
_MATH_SVG = re.compile(r'<svg class="math( display)?" xmlns="http://www\.w3\.org/2000/svg" role="img" '
                       r'aria-label="([^"<>]*)" viewBox="[0-9.]+ [0-9.]+ [0-9.]+ [0-9.]+" '
                       r'style="width:-?[0-9.]+em;height:-?[0-9.]+em;vertical-align:-?[0-9.]+em">'
                       r'<path fill="currentColor" d="[MLQCZ0-9. -]*"/></svg>\Z')


def is_math_svg(svg: str, tex: str, display: bool) -> bool:
    """Is `svg` one that math_svg draws for `tex`?"""
    m = _MATH_SVG.match(svg)
    return bool(m) and bool(m.group(1)) == display and m.group(2) == _escape(tex)


_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # a change here redraws everything
