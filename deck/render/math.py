"""LaTeX math to inline SVG at build time, with ziamath (LaTeX -> MathML -> SVG paths, pure Python:
no LaTeX install, no browser, no JavaScript).

ziamath rather than matplotlib's mathtext: mathtext has no environments, and a lecturer writes
matrices (`pmatrix`, `bmatrix`), `aligned` equations and `cases`; ziamath draws them, and display
math in display style (full-size fractions), with one math font (STIX Two Math) for every formula.
Glyphs become SVG paths filled with `currentColor`, so math takes the colour of the text around it
and looks the same in the browser and in WeasyPrint's PDF. The SVG has no ids (several formulas
share a page) and no timestamps: the same TeX gives the same bytes. Results are cached by content.
"""
from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

from ..errors import Location, SourceError
from ..shared.store import Store, key
from ..shared.svg import is_safe_svg

FONT_SIZE = 100.0  # draw large and scale with em units; precision of the path coordinates
LIBRARIES = ("ziamath", "ziafont", "latex2mathml")  # their versions are part of the cache key
SVG_ROOT = re.compile(r"<svg\b[^>]*>")
VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')
# latex2mathml copies `\text{...}` as it is: `\_` would show its backslash
TEXT = re.compile(r"\\text\{([^{}]*)\}")
TEXT_ESCAPE = re.compile(r"\\([_%&#$])")
# a command latex2mathml does not know stays in the MathML as its name: `<mi>\foo</mi>`
UNKNOWN = re.compile(r"<(?:mi|mo|mtext|mn)\b[^>]*>(\\[A-Za-z]+)")
MTABLE = re.compile(r"<mtable(?![^>]*columnspacing)")
PROBLEMS = {  # latex2mathml's exceptions, as a reader would say them
    "NoAvailableTokensError": "something is missing at the end (an argument, or a closing brace)",
    "MissingSuperScriptOrSubscriptError": "^ or _ with nothing after it",
    "MissingEndError": "\\begin{...} without its \\end{...}",
    "ExtraLeftOrMissingRightError": "\\left without its \\right",
    "DoubleSubscriptsError": "two subscripts in a row (write x_{ab})",
    "DoubleSuperscriptsError": "two superscripts in a row (write x^{ab})",
    "NumeratorNotFoundError": "\\frac without its numerator",
    "DenominatorNotFoundError": "\\frac without its denominator",
}


@functools.lru_cache(maxsize=1)
def _ziamath():
    import ziamath

    ziamath.config.svg2 = False     # plain paths, no <symbol id=...> shared between formulas
    ziamath.config.precision = 2    # coordinates in units of 1/100 em: finer than any screen
    return ziamath


@functools.lru_cache(maxsize=4096)
def math_svg(tex: str, display: bool = False) -> str:
    """`tex` (without dollars) as an inline <svg> sized in em, aligned on the text baseline.
    Raises ValueError with a reader's message when the TeX cannot be drawn."""
    zm = _ziamath()
    from ziamath.tex import tex2mml  # what ziamath.Latex does, with the MathML adjusted before drawing

    source = TEXT.sub(lambda m: "\\text{" + TEXT_ESCAPE.sub(r"\1", m.group(1)) + "}", tex)
    try:
        mathml = tex2mml(source, inline=not display)
        unknown = UNKNOWN.search(mathml)
        if unknown:
            raise ValueError(f"unknown command {unknown.group(1)}")
        # matrix and cases columns as far apart as LaTeX sets them (ziamath's default is 0.3em)
        mathml = MTABLE.sub('<mtable columnspacing="1em"', mathml)
        mathml = mathml.replace("<math ", '<math mathcolor="currentColor" ', 1)
        svg = zm.Math(mathml, size=FONT_SIZE).svg()
    except ValueError:
        raise
    except Exception as exc:  # latex2mathml's errors name the problem in their class: MissingEndError
        name = type(exc).__name__
        words = PROBLEMS.get(name) or re.sub(r"(?<!^)(?=[A-Z])", " ", name.removesuffix("Error")).lower()
        raise ValueError(f"{words}{': ' + str(exc) if str(exc) else ''}") from None
    if svg.rstrip().endswith("/>") and svg.count("<") == 1:  # `$\mathcal{}$`: an empty <svg/>
        raise ValueError("there is nothing to draw")
    box = VIEWBOX.search(svg)
    assert box is not None  # MathJax's SVG always has a viewBox
    x, y, width, height = (float(v) for v in box.groups())
    depth = (y + height) / FONT_SIZE  # y = 0 is the baseline
    cls = "math display" if display else "math"
    root = (f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_escape(tex)}" '
            f'viewBox="{x:g} {y:g} {width:g} {height:g}" '
            f'style="width:{width / FONT_SIZE:.3f}em;height:{height / FONT_SIZE:.3f}em;vertical-align:{-depth:.3f}em">')
    return SVG_ROOT.sub(lambda _: root, svg, count=1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def render_math(tex: str, display: bool, location: Location, cache_dir: Path | None = None) -> str:
    """Math as SVG, from the disk cache when drawn before (a rebuild then imports no math library):
    the "math" namespace of the cache store, signed entries, checked again before they are inserted."""
    tex = tex.strip()
    store, name = None, ""
    if cache_dir is not None:
        store = Store(cache_dir)
        name = f"{key(tex, str(display), _versions(), _CODE)}.svg"
        payload = store.get("math", name)
        try:
            cached = payload.decode("utf-8") if payload is not None else None
        except UnicodeDecodeError:
            cached = None
        if cached is not None and is_math_svg(cached, tex, display):
            return cached
    try:
        svg = math_svg(tex, display)
    except RecursionError:
        raise SourceError(f"cannot draw math ${_shown(tex)}$: it is nested too deeply", location) from None
    except Exception as exc:  # noqa: BLE001 - the library's errors (in words), and its failures on odd input
        why = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        raise SourceError(f"cannot draw math ${_shown(tex)}$: {why}", location) from None
    if store is not None:
        store.put("math", name, svg.encode("utf-8"))
    return svg


@functools.lru_cache(maxsize=1)
def _versions() -> str:
    from importlib.metadata import version

    return " ".join(f"{name}={version(name)}" for name in LIBRARIES)


def _shown(tex: str, most: int = 60) -> str:
    return tex if len(tex) <= most else tex[:most] + "…"


def is_math_svg(svg: str, tex: str, display: bool) -> bool:
    """Is `svg` math deck drew for `tex`, and nothing else? A cached file that is anything else
    (damaged, or planted in a shared cache with an onload or a script) is drawn again, never inserted:
    a good entry is one the SVG cleaner would leave as it is."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(svg)
    except ET.ParseError:
        return False
    return (root.get("class") == ("math display" if display else "math") and root.get("aria-label") == tex
            and is_safe_svg(svg))


_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # a change here redraws everything
