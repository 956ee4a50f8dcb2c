"""Block diagrams of any network, read off the model itself.

Units, channel counts, spatial sizes and skips come from one forward pass on the meta device
(:mod:`figures.graph`); nothing is typed by hand and nothing is specific to a model family. What
makes a ResNet, a VGG or a U-Net look like one is found in the data flow:

* residual blocks (modules adding their input back) are boxes with a shortcut arc over them, dashed
  when the shortcut has a layer on it (projection);
* a network without them is drawn layer by layer, its convolutions grouped in stages between
  poolings;
* a network whose resolution comes back up (transposed convolutions, upsampling) is drawn as a U,
  one row per resolution, with its concatenation skips as arrows from the encoder to the decoder.

The diagram is made in three stages, a module each: the items drawn (:mod:`figures.architecture_items`),
their layout for a text size (:mod:`figures.architecture_layout`) and the drawing
(:mod:`figures.architecture_drawing`); :func:`architecture` here picks the number of rows and the text
size.
"""

from __future__ import annotations

from typing import Any

from .architecture_drawing import _STYLE, _draw
from .architecture_items import _items, _legend_entries
from .architecture_layout import _layout
from .blocks import Architecture, architecture_spec
from .labels import resolve_lang
from .legibility import BODY_TEXT_PX, FIGURE_ROOM_HEIGHT_PX, MIN_TEXT_PX, min_font_for, rendered_px, room_scale
from .output import SVGFigure

__all__ = ["TARGET_TEXT_PX", "_STYLE", "architecture"]  # _STYLE: the tests read the diagram's colours here


# points: the gaps and arrows are fixed in inches, so a larger text takes a larger share of the
# figure's width and is larger on the slide (24: labels about 18-20 px on a 540-px slide, where 16
# gave the 15-px minimum); raised further until the text is legible once scaled to a slide
_FS_START = 24
#: what a diagram's text aims at once the diagram fills its room: close to the body text's size
TARGET_TEXT_PX = 0.85 * BODY_TEXT_PX


def architecture(
    model: Any = "resnet18",
    *,
    input_size: tuple[int, ...] | None = None,
    lang: str | None = None,
    collapse: bool | None = None,
    title: bool = False,
    rows: int | None = None,
    room_height: float | None = None,
) -> SVGFigure:
    """Left-to-right diagram of any network: input, stem, stages of blocks (box = output channels),
    skips, head, with the spatial size under each stage. ``collapse=None`` merges identical
    consecutive blocks into one "×N" box only when the network has more than 10 blocks. Text sizes
    grow until the text is legible once the figure is scaled to a slide. ``title``: the model's name
    above the diagram (off: the slide's title says it). ``rows``: a chain cut into that many rows
    (None: the number that makes the text largest on a slide; a U is drawn one row per resolution).
    ``room_height``: the height in slide pixels the diagram has on its slide (None: a slide with a
    title and nothing else); the text grows to near body size in that room where the network allows."""
    lang = resolve_lang(lang)
    spec = architecture_spec(model, input_size)
    n_total = sum(s.n_blocks for s in spec.stages)
    if collapse is None:
        collapse = n_total > 10
    items = _items(spec, lang, collapse)
    legend = _legend_entries(spec, items, lang)

    room = FIGURE_ROOM_HEIGHT_PX if room_height is None else room_height
    fits = {n: _fit(spec, items, legend, title, n, room) for n in ((rows,) if rows else range(1, 4))}
    # the fewest rows whose text is about as large as the most any number of rows gives
    best = max(px for _, px in fits.values())
    rows = min(n for n, (_, px) in fits.items() if px >= 0.96 * best)
    fs = fits[rows][0]
    for _ in range(4):  # the estimate is close; what counts is the size in the SVG as written
        for _ in range(8):  # the figure grows with its text: a few rounds settle the size
            geo = _layout(spec, items, legend, fs, title, rows)
            need = min_font_for(geo["width"] * 72, geo["height"] * 72)
            if fs >= need:
                break
            fs = need
        fig = _draw(spec, items, geo, fs, lang, title, collapse)
        fig.data["rows"] = geo["rows"]
        fig.data["legend"] = [[text for _, text, _ in row] for row in geo["legend_rows"]]
        fig.data["room_px"] = round(fs * room_scale(geo["width"] * 72, geo["height"] * 72, room), 2)
        shown = rendered_px(fs, fig.svg)
        if shown >= MIN_TEXT_PX:
            return fig
        fs *= MIN_TEXT_PX / shown * 1.01
    return fig


def _fit(spec: Architecture, items: list[dict], legend: list[tuple[str, str]], title: bool, rows: int,
         room: float) -> tuple[float, float]:
    """(font size, text px once the diagram fills a room of the slide's width and ``room`` px): the
    text grows until it is near the body text's size, or until growing it no longer makes it larger
    on the slide (the gaps and strokes, fixed in inches, are then a small share of the figure)."""
    fs, px = float(_FS_START), 0.0
    for _ in range(12):
        geo = _layout(spec, items, legend, fs, title, rows)
        shown = fs * room_scale(geo["width"] * 72, geo["height"] * 72, room)
        if shown >= TARGET_TEXT_PX:
            return fs * TARGET_TEXT_PX / shown, TARGET_TEXT_PX
        if shown < px * 1.01:  # saturated
            break
        fs, px = fs * 1.15, shown
    return fs / 1.15, px
