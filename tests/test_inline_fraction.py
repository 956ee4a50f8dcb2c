"""The flagship's inline fractions (the sigmoid on slide 12) are drawn at text size: a text-style
\\frac sets its digits at about half the text size, unreadable from the back row; the SVG of each
inline formula with a fraction is about two lines high (a full-size numerator over a denominator)."""
import re
from pathlib import Path

from deck.errors import Location
from deck.render.math import render_math

FLAGSHIP = Path(__file__).resolve().parents[1] / "slides_src" / "recap2_convnets.md"


def test_inline_fractions_are_full_size():
    text = FLAGSHIP.read_text(encoding="utf-8")
    formulas = [m for m in re.findall(r"(?<!\$)\$([^$\n]+)\$(?!\$)", text) if "frac" in m]
    assert formulas  # the sigmoid
    for tex in formulas:
        svg = render_math(tex, False, Location(FLAGSHIP, 1))
        height = float(re.search(r"height:([\d.]+)em", svg).group(1))
        assert height >= 1.8, tex  # a text-style \frac is 1.3 em high, its digits 0.7 em
