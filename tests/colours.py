"""Colours as WCAG measures them: relative luminance and contrast ratio, of hex colours and of the
`rgb()` / `rgba()` colours Chromium computes (composited over what is under them)."""
from __future__ import annotations

import re

RGB = tuple[float, float, float]


def luminance(colour: str | RGB) -> float:
    rgb = [c / 255 for c in (_rgb(colour) if isinstance(colour, str) else colour)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str | RGB, b: str | RGB = "#ffffff") -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _rgb(hex_colour: str) -> RGB:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def css_rgba(value: str) -> tuple[float, float, float, float]:
    """A colour as getComputedStyle writes it: `rgb(r, g, b)` or `rgba(r, g, b, a)`."""
    m = re.fullmatch(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+))?\s*\)", value.strip())
    if m is None:
        raise ValueError(f"not a computed colour: {value!r}")
    r, g, b = (float(x) for x in m.groups()[:3])
    return r, g, b, float(m.group(4)) if m.group(4) is not None else 1.0


def over(top: str, under: RGB, opacity: float = 1.0) -> RGB:
    """`top` (a computed colour, possibly translucent) painted over the opaque colour `under`."""
    r, g, b, a = css_rgba(top)
    a *= opacity
    return tuple(a * c + (1 - a) * u for c, u in zip((r, g, b), under))  # type: ignore[return-value]


def backdrop(backgrounds: list[str], paper: RGB = (255, 255, 255)) -> RGB:
    """The colour under a text: its element's and its ancestors' backgrounds (innermost first),
    painted over each other, over the page."""
    colour = paper
    for bg in reversed(backgrounds):
        colour = over(bg, colour)
    return colour
