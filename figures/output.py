"""What a builder hands back: a pyplot-free matplotlib figure rendered into an :class:`SVGFigure`
(the SVG, its alt text and what was drawn), and warnings for the lecturer."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from deck.shared.svg import render_svg


@dataclass(repr=False)
class SVGFigure:
    """A rendered figure: SVG document, alt text, and what was drawn."""

    svg: str
    alt: str
    data: dict = field(default_factory=dict)

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.svg)

    def __repr__(self) -> str:
        return f"SVGFigure(alt={self.alt!r}, {len(self.svg)} chars)"


def new_figure(width: float, height: float, **kwargs: Any):
    """A pyplot-free ``matplotlib.figure.Figure`` (call inside :func:`figures.palette.theme`):
    nothing global to close, nothing shown twice by the engine's pyplot capture."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), **kwargs)


def drawn_texts(fig) -> list:
    """Visible, non-empty Text artists of ``fig`` in drawing order (after a draw); tick labels of
    an axes whose axis is off exist but are never drawn."""
    from matplotlib.text import Text

    hidden: set[int] = set()
    for ax in fig.axes:
        if not ax.axison or not ax.get_visible():
            hidden.update(id(t) for axis in (ax.xaxis, ax.yaxis) for t in axis.findobj(Text))
        if not ax.get_visible():
            hidden.update(id(t) for t in ax.findobj(Text))
    return [t for t in fig.findobj(Text)
            if t.get_text() and t.get_visible() and id(t) not in hidden]


def figure_texts(fig) -> list[str]:
    """Visible, non-empty texts of ``fig`` in drawing order (after a draw)."""
    return [t.get_text() for t in drawn_texts(fig)]


def finish(fig, *, alt: str, data: dict) -> SVGFigure:
    """Render ``fig`` and wrap it, recording the drawn texts in ``data["texts"]``."""
    svg = render_svg(fig, title=alt)
    data = dict(data)
    texts = drawn_texts(fig)
    data["texts"] = [t.get_text() for t in texts]
    # sizes in points = SVG units: with the SVG's size they give the size on the slide
    data["font_sizes"] = sorted({round(float(t.get_fontsize()), 2) for t in texts})
    return SVGFigure(svg=svg, alt=alt, data=data)


def warn(message: str) -> None:
    """Warning for the lecturer (the engine prints it in the build output)."""
    warnings.warn(message, UserWarning, stacklevel=3)
