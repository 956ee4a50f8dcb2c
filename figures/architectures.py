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
"""

from __future__ import annotations

import functools
from dataclasses import asdict
from typing import Any

from deck.shared.svg import register_deck_font

from .blocks import Architecture, Block, Stage, _block, _int, _stride, architecture_spec
from .graph import Unit
from .labels import resolve_lang, tr
from .legibility import BODY_TEXT_PX, FIGURE_ROOM_HEIGHT_PX, MIN_TEXT_PX, min_font_for, rendered_px, room_scale
from .output import SVGFigure, finish, new_figure
from .palette import ACCENT, GOLD, GREY, LIGHT, NAVY, TEAL, THEME_RC, WHITE, theme

# --------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------

_GAP_IN = 0.16  # between items of a group, inches
_GAP_OUT = 0.36  # between groups
_BAR_W = 0.16  # pooling bar
_MERGE_W = 0.44  # concatenation / addition circle
# points: the gaps and arrows are fixed in inches, so a larger text takes a larger share of the
# figure's width and is larger on the slide (24: labels about 18-20 px on a 540-px slide, where 16
# gave the 15-px minimum); raised further until the text is legible once scaled to a slide
_FS_START = 24
#: what a diagram's text aims at once the diagram fills its room: close to the body text's size
TARGET_TEXT_PX = 0.85 * BODY_TEXT_PX


def _text_w(lines, size) -> float:
    """Width in inches of the widest line, measured with the figures' font (bold: the widest)."""
    return max((_line_w(s, round(size, 3)) for s in lines), default=0.0)


@functools.lru_cache(maxsize=4096)
def _line_w(text: str, size: float) -> float:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    register_deck_font()  # measured in the font it is drawn in

    prop = FontProperties(family=THEME_RC["font.family"], size=size, weight="bold")
    width, _, _ = text_to_path.get_text_width_height_descent(text, prop, ismath=False)
    return width / 72


def _hw_txt(hw) -> str:
    return f"{hw[0]}×{hw[1]}" if hw else ""


def _size_txt(u: Unit, lang: str) -> str:
    """What a stage's label says of its output: its spatial size, or its number of tokens."""
    if u.out_hw:
        return _hw_txt(u.out_hw)
    if u.tokens and u.out_shape is not None:
        return tr("arch_tokens", lang, n=u.out_shape[1])
    return "×".join(str(d) for d in (u.out_shape or ())[1:])


def _same_box(a: Block, b: Block) -> bool:
    return (a.type, a.out_ch, a.out_hw, a.downsample) == (b.type, b.out_ch, b.out_hw, b.downsample)


def _conv_name(u: Unit) -> str:
    k = _int(u.module.kernel_size) if u.module is not None and hasattr(u.module, "kernel_size") else None
    return f"conv {k}×{k}" if k else "conv"


def _items(spec: Architecture, lang: str, collapse: bool) -> list[dict]:
    """What is drawn, left to right: dicts with the unit indices each item stands for."""
    units = spec.units
    items: list[dict] = []

    def add(group, kind, lines, unit_ids, **extra):
        items.append(dict(group=group, kind=kind, lines=lines, units=list(unit_ids), **extra))

    shape = spec.input_size
    dims = "×".join(str(d) for d in shape[1:])
    add("input", "input", [tr("input", lang), dims], [-1], hw=_hw_from(shape))
    for i in spec.stem_units:
        _add_unit(add, "stem", units[i], lang, spec)
    convs = [_conv_name(units[i]) for stage in spec.stages for i in stage.units if units[i].kind == "conv"]
    usual = max(sorted(set(convs)), key=convs.count) if convs else ""  # the legend's convolution
    for si, stage in enumerate(spec.stages):
        ids = stage.units
        j = 0
        while j < len(ids):
            u = units[ids[j]]
            if _is_stage_block(u, stage):
                run = [u.index]
                b = _block(u)
                while (collapse and j + len(run) < len(ids)
                       and _is_stage_block(units[ids[j + len(run)]], stage)
                       and _same_box(_block(units[ids[j + len(run)]]), b)
                       and not any(s.src == run[-1] for s in spec.skips)):
                    run.append(ids[j + len(run)])
                n = len(run)
                kind = "upconv" if u.kind == "upconv" else "block"
                second = [f"×{n}"] if n > 1 else []
                if u.kind == "conv" and _conv_name(u) != usual:  # a U-Net's 1×1 head: not a stray mark
                    second = [_conv_name(u).removeprefix("conv ")]
                key = "arch_stage" if spec.family == "residual" else "arch_block"
                label = [tr(key, lang, i=si + 1), _size_txt(units[run[-1]], lang)]  # as drawn under it
                add(f"stage{si}", kind, [str(b.out_ch)] + second, run,
                    count=n, block=b, stage=si, hw=u.out_hw, stage_label=label)
                j += n
            else:
                _add_unit(add, f"stage{si}", u, lang, spec)
                j += 1
    for i in spec.head_units:
        _add_unit(add, "head", units[i], lang, spec)
    if items[-1]["kind"] == "fc" and spec.num_classes:
        items[-1]["sub"] = f"{spec.num_classes} {tr('classes', lang)}"
    return items


def _hw_from(shape) -> tuple[int, int] | None:
    return (int(shape[-2]), int(shape[-1])) if shape is not None and len(shape) >= 4 else None


def _is_stage_block(u: Unit, stage: Stage) -> bool:
    return any(b.name == u.name and b.out_hw == u.out_hw for b in stage.blocks) and u.kind in (
        "block", "conv", "upconv")


def _add_unit(add, group: str, u: Unit, lang: str, spec: Architecture) -> None:
    if u.kind == "conv":
        stride = _stride(u)
        add(group, "conv", [_conv_name(u), f"{u.out_ch}" + (f", /{stride}" if stride > 1 else "")],
            [u.index], sub=_hw_txt(u.out_hw) if u.out_hw else None, hw=u.out_hw)
    elif u.kind == "pool":
        add(group, "bar", [], [u.index], hw=u.in_hw, pool=u)
    elif u.kind == "upsample":
        add(group, "upbar", [], [u.index], hw=u.out_hw)
    elif u.kind in ("cat", "add") or (u.params and len(u.inputs) == 1 and u.type in ("add", "cat")):
        if u.params and len(u.inputs) == 1:  # a parameter joined to the data (class token, positions)
            add(group, "layer", ["+ " + u.params[0].rsplit(".", 1)[-1]], [u.index], hw=u.out_hw)
            return
        add(group, "merge", ["C" if u.kind == "cat" else "+"], [u.index], hw=u.out_hw, merge=u.kind)
    elif u.kind == "avgpool":
        if u.out_hw == (1, 1):
            add(group, "avgpool", tr("arch_gap", lang).split("\n"), [u.index], sub=_hw_txt(u.out_hw),
                hw=u.in_hw)
        elif u.out_hw != u.in_hw:  # an adaptive pool that is a no-op for this input is not drawn
            add(group, "avgpool", ["avg pool", _hw_txt(u.out_hw)], [u.index], hw=u.out_hw)
    elif u.kind == "fc":
        add(group, "fc", ["FC", str(u.out_shape[-1] if u.out_shape is not None else u.out_ch)], [u.index], hw=None)
    elif u.kind == "upconv":
        add(group, "upconv", [str(u.out_ch)], [u.index], hw=u.out_hw, block=_block(u), count=1)
    elif u.kind == "block":
        add(group, "block", [str(u.out_ch)], [u.index], hw=u.out_hw, block=_block(u), count=1)
    else:
        lines = [u.type] + ([str(u.out_ch)] if u.out_ch else [])
        add(group, "layer", lines, [u.index], hw=u.out_hw)


_STYLE = {  # kind -> (face, text colour, edge)
    "input": (LIGHT, NAVY, NAVY),
    "conv": (NAVY, WHITE, NAVY),
    "block": (TEAL, WHITE, TEAL),
    "upconv": (NAVY, WHITE, NAVY),
    "bar": (GREY, WHITE, GREY),
    "upbar": (GOLD, NAVY, GOLD),
    "merge": (WHITE, NAVY, NAVY),
    "avgpool": (GOLD, NAVY, GOLD),
    "fc": (GOLD, NAVY, GOLD),
    "layer": (LIGHT, NAVY, NAVY),
}


def _merge_w(fs: float) -> float:
    """Diameter of a merge circle: its letter at the diagram's text size fits inside."""
    return max(_MERGE_W, 1.5 * fs / 72)


def _legend_rows(entries: list[tuple[str, str]], fs: float, max_w: float) -> list[list[tuple]]:
    """Legend entries packed into as few rows no wider than the diagram as they need, shared out so
    that no entry is left alone on a last row: (sample, text, width)."""
    import itertools

    sized = [(sample, text, _sample_w(sample, fs) + 0.08 + _text_w([text], fs) + 0.35) for sample, text in entries]
    for n in range(1, len(sized) + 1):
        splits = []
        for cut in itertools.combinations(range(1, len(sized)), n - 1):
            rows = [sized[a:b] for a, b in zip((0,) + cut, cut + (len(sized),))]
            widths = [sum(e[2] for e in r) for r in rows]
            if max(widths) <= max_w:
                splits.append((max(widths), rows))
        if splits:
            return min(splits, key=lambda s: s[0])[1]
    return [[e] for e in sized]


def _sample_w(sample: str, fs: float) -> float:
    """Width of a legend sample: as in the diagram, growing with the text as the strokes do."""
    u = max(1.0, fs / 16)
    if sample in ("identity", "projection"):
        return 0.4 * u
    if sample in ("cat", "add"):
        return _merge_w(fs)
    return (_BAR_W if sample in ("bar", "upbar") else 0.26) * u


def _layout(spec: Architecture, items: list[dict], legend: list[tuple[str, str]], fs: float,
            title: bool, rows: int = 1) -> dict:
    """Item positions and the figure size for text of ``fs`` points.

    A chain in ``rows`` rows, read left to right and top to bottom (cut between groups, never under a
    skip); for a U, one row per resolution (largest at the top): a row's items start under the step
    down from the row above, so the encoder is a staircase going down, the decoder one going up, and
    each concatenation skip a horizontal arrow across its row."""
    unet = spec.family == "unet"
    em = fs / 72
    line_h = 1.25 * em
    # gaps, bars and turns grow with the text (their minimum in inches is for small text): a diagram
    # whose text grows to fill its room keeps its arrows and pooling bars visible
    gap_in, gap_out, bar_w = max(_GAP_IN, 0.4 * em), max(_GAP_OUT, 0.8 * em), max(_BAR_W, 0.4 * em)
    box_h = max(0.9, 2.4 * line_h)  # two lines: channels over count, a name over its size
    levels: dict[tuple, int] = {}
    if unet:
        sizes = sorted({it["hw"] for it in items if it.get("hw")}, key=lambda hw: -hw[0] * hw[1])
        levels = {hw: i for i, hw in enumerate(sizes)}
    last = 0
    for it in items:
        last = levels.get(it.get("hw") or (), last) if levels else 0
        it["level"] = last
        if it["kind"] in ("bar", "upbar"):
            it["w"] = bar_w
        elif it["kind"] == "merge":
            it["w"] = _merge_w(fs)
        else:
            it["w"] = max(0.6, _text_w(it["lines"], fs) + max(0.22, 0.5 * fs / 72))  # a margin of text
        if it.get("sub") and it is not items[-1]:  # the size under a box must not run into its neighbours
            # (the last box's may run on to its right: the figure is as wide as it)
            it["w"] = max(it["w"], _text_w([it["sub"]], fs) * 0.9)
    if not unet:
        _widen_stages(items, fs, gap_in, gap_out, one_line=rows > 1)
    # a U: one line per box ("16 ×2"), the row's resolution written at its left
    row_label_w = _text_w([_hw_txt(hw) for hw in levels], fs) + 0.25 if unet else 0.0
    x0 = 0.1 + row_label_w
    row_end: dict[int, float] = {}
    prev = None
    for it in items:
        if prev is None:
            x = x0
        elif it["level"] > prev["level"]:  # down a row: start under the step
            x = max(prev["x"] + prev["w"] / 2, row_end.get(it["level"], 0.0) + gap_out)
        else:
            same = it["group"] == prev["group"] and it["group"] != "head"
            gap = gap_in if same else gap_out
            x = max(prev["x"] + prev["w"] + gap, row_end.get(it["level"], 0.0) + gap)
            it["gap_before"] = "in" if same and it["level"] == prev["level"] else "out"
        it.setdefault("gap_before", "out")
        it["x"] = x
        row_end[it["level"]] = x + it["w"]
        prev = it
    if not unet and rows > 1:
        _wrap(spec, items, rows, x0 + max(0.2, 0.5 * em))  # room for the turn into each next row
    width = max(max(it["x"] + it["w"] for it in items), _sub_right(items, fs)) + 0.1
    widest_entry = max((_text_w([t], fs) + 1.0 for _, t in legend), default=0.0)
    # a legend in two rows at most: a diagram cut into rows is narrow, its legend need not be tall
    half = sum(e[2] for e in _legend_rows(legend, fs, float("inf"))[0]) / 2 + 0.4 if legend else 0.0
    legend_rows = _legend_rows(legend, fs, max(width - 0.2, widest_entry, half))
    width = max(width, max((sum(e[2] for e in r) for r in legend_rows), default=0.0) + 0.2)

    n_levels = max(it["level"] for it in items) + 1
    legend_h = (len(legend_rows) + 0.3) * 1.5 * line_h
    # sizes and stage names under the boxes: on one line where every stage is wide enough for it
    one_line = not unet and _stage_labels_fit(items, fs, gap_out)
    labels_h = 0.3 * line_h if unet else (1.1 if one_line else 2.3) * line_h + 0.14
    skip_room = max(0.5, 0.9 * em) if spec.family == "residual" else 0.0
    if spec.skips:
        skip_room = max(skip_room, 0.45 + (0.14 * len(spec.skips) if not unet else 0.0))
    # a U's rows are close (its skips run along them); a chain's rows leave room for the labels under
    # a row, the turn to the next one and the shortcuts over it
    level_gap = 0.32 if unet else labels_h + skip_room + max(0.3, 0.5 * em)
    y_base = legend_h + labels_h
    for it in items:
        it["y0"] = y_base + (n_levels - 1 - it["level"]) * (box_h + level_gap)
    top = y_base + n_levels * box_h + (n_levels - 1) * level_gap
    height = top + skip_room + 0.12 + (1.4 * line_h if title else 0.0)
    return dict(width=width, height=height, box_h=box_h, line_h=line_h, top=top,
                legend_rows=legend_rows, legend_top=legend_h - 0.9 * line_h, levels=levels,
                row_label_x=0.1, labels_h=labels_h, rows=n_levels, one_line=one_line,
                u=max(1.0, fs / 16))  # strokes and arrow heads grow with the text (set for 16 pt)


def _sub_right(items: list[dict], fs: float) -> float:
    """Where the text under the last box ends (it may be wider than its box)."""
    last, sub_w = items[-1], _text_w([items[-1].get("sub", "")], fs)
    if len(items) > 1 and items[-2].get("sub"):
        return last["x"] + sub_w
    return last["x"] + last["w"] / 2 + sub_w / 2


def _widen_stages(items: list[dict], fs: float, gap_in: float, gap_out: float, one_line: bool) -> None:
    """A stage drawn as one box ("768 ×12") is as wide as the label under it; in a diagram cut into
    rows (where width is to spare) every stage is, with its label on one line."""
    for si in {it["stage"] for it in items if "stage" in it}:
        members = [it for it in items if it.get("stage") == si]
        label = members[0]["stage_label"]
        if one_line:
            span = sum(m["w"] for m in members) + gap_in * (len(members) - 1) + 0.5 * gap_out
            extra = _text_w([" · ".join(label)], fs) - span
            for m in members:
                m["w"] += max(0.0, extra) / len(members)
        elif len(members) == 1:
            members[0]["w"] = max(members[0]["w"], _text_w(label, fs) + 0.1)


def _stage_label(spec: Architecture, members: list[dict], lang: str, one_line: bool) -> str:
    """What is written under a stage: its name and the size it hands on, on one line or two."""
    key = "arch_stage" if spec.family == "residual" else "arch_block"
    name, size = tr(key, lang, i=members[0]["stage"] + 1), _size_txt(spec.units[members[-1]["units"][-1]], lang)
    return f"{name} · {size}" if one_line else f"{name}\n{size}"


def _stage_labels_fit(items: list[dict], fs: float, gap: float) -> bool:
    """Whether every stage's label fits on one line under the stage's boxes (it may take half of
    the gaps either side)."""
    for si in {it["stage"] for it in items if "stage" in it}:
        members = [it for it in items if it.get("stage") == si]
        span = members[-1]["x"] + members[-1]["w"] - members[0]["x"] + gap
        if _text_w([" · ".join(members[0]["stage_label"])], fs) > span:
            return False
    return True


def _wrap(spec: Architecture, items: list[dict], rows: int, x0: float) -> None:
    """Cut a one-row chain into ``rows`` rows of about equal width: each row starts again at ``x0``."""
    spans = [(_index_of(items, s.src), _index_of(items, s.dst)) for s in spec.skips]
    # a cut before item i: between two groups (a stage is never cut), under no skip
    cuts = [i for i in range(1, len(items)) if items[i]["group"] != items[i - 1]["group"]
            and not any(a is not None and b is not None and a < i <= b for a, b in spans)]
    total = items[-1]["x"] + items[-1]["w"] - x0
    chosen: list[int] = []
    for r in range(1, rows):
        target = x0 + total * r / rows
        options = [i for i in cuts if not chosen or i > chosen[-1]]
        if not options:
            break
        chosen.append(min(options, key=lambda i: abs(items[i]["x"] - target)))
    for start, end in zip([0] + chosen, chosen + [len(items)]):
        shift = items[start]["x"] - x0
        for it in items[start:end]:
            it["x"] -= shift
            it["level"] = len([c for c in chosen if c <= start])
        items[start]["gap_before"] = "out"


def _index_of(items: list[dict], unit: int) -> int | None:
    return next((k for k, it in enumerate(items) if unit in it["units"]), None)


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


def _draw(spec: Architecture, items: list[dict], geo: dict, fs: float, lang: str, title: bool,
          collapse: bool) -> SVGFigure:
    with theme():
        fig = new_figure(geo["width"], geo["height"])
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, geo["width"])
        ax.set_ylim(0, geo["height"])
        ax.set_axis_off()
        _draw_items(ax, spec, items, geo, fs)
        _draw_skips(ax, spec, items, geo)
        _draw_stage_labels(ax, spec, items, geo, fs, lang)
        _draw_legend(ax, geo, fs)
        for hw, level in geo["levels"].items():  # a U's rows: their resolution
            y = next(it["y0"] for it in items if it["level"] == level) + geo["box_h"] / 2
            ax.text(geo["row_label_x"], y, _hw_txt(hw), ha="left", va="center", fontsize=fs, color=NAVY)
        if title:
            ax.text(0.1, geo["height"] - 0.1, tr("arch_title", lang, model=spec.name), ha="left",
                    va="top", fontsize=fs, fontweight="bold", color=NAVY)
        return finish(fig, alt=_alt(spec, lang), data=_data(spec, items, collapse, fs))


def _item_of(items: list[dict], unit: int) -> dict | None:
    return next((it for it in items if unit in it["units"]), None)


def _draw_items(ax, spec: Architecture, items: list[dict], geo: dict, fs: float) -> None:
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

    box_h = geo["box_h"]
    for i, it in enumerate(items):
        face, tc, edge = _STYLE[it["kind"]]
        xl, xr, y0 = it["x"], it["x"] + it["w"], it["y0"]
        y1, xm, ym = y0 + box_h, (it["x"] + it["x"] + it["w"]) / 2, y0 + box_h / 2
        it["mid"] = ym
        if it["kind"] == "merge":
            ax.add_patch(Circle((xm, ym), it["w"] / 2, fc=face, ec=edge, lw=1.6 * geo["u"], zorder=3))
        else:
            ax.add_patch(FancyBboxPatch((xl, y0), it["w"], box_h, boxstyle="round,pad=0,rounding_size=0.06",
                                        fc=face, ec=edge, lw=1.2 * geo["u"], zorder=3))
        lines = it["lines"]
        weight = "bold" if it["kind"] in ("block", "upconv", "merge") else "normal"
        if it["kind"] in ("block", "upconv") and len(lines) == 2:  # channels, then the count
            for text, y in ((lines[0], y0 + 0.68 * box_h), (lines[1], y0 + 0.3 * box_h)):
                ax.text(xm, y, text, ha="center", va="center", color=tc, fontsize=fs,
                        fontweight=weight, zorder=4)
        elif lines:
            ax.text(xm, ym, "\n".join(lines), ha="center", va="center", color=tc, fontsize=fs,
                    fontweight=weight, linespacing=1.2, zorder=4)
        if it.get("sub"):
            # the last box's may run on to its right, centred unless its neighbour has one too
            wide = it is items[-1] and _text_w([it["sub"]], fs) > it["w"] and bool(items[i - 1].get("sub"))
            ax.text(xl if wide else xm, y0 - 0.1, it["sub"], ha="left" if wide else "center", va="top",
                    color=NAVY, fontsize=fs, zorder=4)
        if i > 0:  # connection from the previous item
            p = items[i - 1]
            start = (p["x"] + p["w"] + 0.03, p["mid"])
            end = (xl - 0.03, ym)
            if p["level"] != it["level"] and spec.family != "unet":  # to the next row: under this one
                _draw_turn(ax, p, it, geo)
            elif it["gap_before"] == "out" or p["level"] != it["level"]:
                ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>,head_length=5,head_width=3",
                                             mutation_scale=geo["u"], color=GREY, lw=1.4 * geo["u"], zorder=2,
                                             shrinkA=0, shrinkB=0))
            else:
                ax.plot([start[0], end[0]], [start[1], end[1]], color=GREY, lw=1.4 * geo["u"], zorder=2)
        if it["kind"] == "block" and spec.family == "residual":  # shortcut arc over the block
            ax.add_patch(FancyArrowPatch(
                (xl - 0.02, y1 - 0.02), (xr + 0.02, y1 - 0.02), connectionstyle="arc3,rad=-0.55",
                arrowstyle="-|>,head_length=5,head_width=3", mutation_scale=geo["u"], color=ACCENT, lw=1.6 * geo["u"],
                linestyle=(0, (4, 2.5)) if it["block"].downsample else "-", zorder=5,
                shrinkA=0, shrinkB=0))


def _draw_turn(ax, p: dict, it: dict, geo: dict) -> None:
    """The arrow from the end of a row to the start of the next: right, down under the row's labels,
    back left, down and into the next row's first item."""
    from matplotlib.patches import FancyArrowPatch

    em = geo["u"] * 16 / 72  # the text's size in inches: the turn keeps clear of the row's labels
    x1, x2 = p["x"] + p["w"] + max(0.12, 0.3 * em), it["x"] - max(0.14, 0.35 * em)
    y_turn = p["y0"] - geo["labels_h"] - max(0.12, 0.25 * em)
    ym = it["y0"] + geo["box_h"] / 2
    ax.plot([p["x"] + p["w"] + 0.03, x1, x1, x2, x2], [p["mid"], p["mid"], y_turn, y_turn, ym],
            color=GREY, lw=1.4 * geo["u"], zorder=2, solid_joinstyle="round")
    ax.add_patch(FancyArrowPatch((x2, ym), (it["x"] - 0.03, ym), arrowstyle="-|>,head_length=5,head_width=3",
                                 mutation_scale=geo["u"], color=GREY, lw=1.4 * geo["u"], zorder=2, shrinkA=0, shrinkB=0))


def _draw_skips(ax, spec: Architecture, items: list[dict], geo: dict) -> None:
    """Skips between items as brackets over the boxes: up, across, down into the target."""
    from matplotlib.patches import FancyArrowPatch

    pairs = []
    for s in spec.skips:
        a, b = _item_of(items, s.src), _item_of(items, s.dst)
        if a is not None and b is not None and a is not b:
            pairs.append((a, b))
    # longer skips ride higher, so that nested ones never cross
    pairs.sort(key=lambda ab: ab[1]["x"] - ab[0]["x"])
    for rank, (a, b) in enumerate(pairs):
        xa, xb = a["x"] + a["w"] / 2, b["x"] + b["w"] / 2
        ya = a["y0"] + geo["box_h"]
        yb = b["mid"] + b["w"] / 2 if b["kind"] == "merge" else b["y0"] + geo["box_h"]  # onto the circle
        rise = 0.22 + (0.14 * rank if spec.family != "unet" else 0.0)
        y = max(ya, yb) + rise
        # as thick as the boxes' text strokes: seen from the back of the room, as the data flow is
        ax.plot([xa, xa, xb], [ya, y, y], color=ACCENT, lw=2.6 * geo["u"], zorder=5, solid_capstyle="butt")
        ax.add_patch(FancyArrowPatch((xb, y), (xb, yb + 0.02), arrowstyle="-|>,head_length=9,head_width=5",
                                     mutation_scale=geo["u"], color=ACCENT, lw=2.6 * geo["u"], zorder=5, shrinkA=0,
                                     shrinkB=0))


def _draw_stage_labels(ax, spec: Architecture, items: list[dict], geo: dict, fs: float, lang: str) -> None:
    if spec.family == "unet":  # its rows are labelled with their resolution instead
        return
    for si in range(len(spec.stages)):
        members = [it for it in items if it.get("stage") == si]
        if not members:
            continue
        xl, xr = members[0]["x"], members[-1]["x"] + members[-1]["w"]
        yb = members[0]["y0"] - 0.1
        ax.plot([xl, xl, xr, xr], [yb + 0.05, yb, yb, yb + 0.05], color=GREY, lw=1.0 * geo["u"], zorder=2)
        ax.text((xl + xr) / 2, yb - 0.05, _stage_label(spec, members, lang, geo["one_line"]),
                ha="center", va="top", fontsize=fs, color=NAVY, linespacing=1.2)


def _legend_entries(spec: Architecture, items: list[dict], lang: str) -> list[tuple[str, str]]:
    """(what the sample shows, text) for every kind of item drawn."""
    kinds = {it["kind"] for it in items}
    out = []
    if spec.family == "residual":
        tokens = spec.units[spec.stages[0].units[0]].tokens
        out.append(("block", tr("arch_token_legend" if tokens else "arch_box_legend", lang,
                                block=spec.stages[0].blocks[0].type)))
        out.append(("identity", tr("arch_identity", lang)))
        if any(b.downsample for st in spec.stages for b in st.blocks):
            out.append(("projection", tr("arch_projection", lang)))
    elif "block" in kinds:
        convs = [spec.units[i] for it in items if it["kind"] == "block" for i in it["units"]]
        names = {_conv_name(u) + (" + " + " + ".join(u.folded) if u.folded else "") for u in convs}
        conv = names.pop() if len(names) == 1 else "conv"
        out.append(("block", tr("arch_conv_legend", lang, conv=conv)))
    if "upconv" in kinds:
        u = spec.units[next(it for it in items if it["kind"] == "upconv")["units"][0]]
        k = _int(u.module.kernel_size) if hasattr(u.module, "kernel_size") else 2
        out.append(("upconv", tr("arch_upconv_legend", lang, k=k, s=_int(getattr(u.module, "stride", 2)))))
    if "bar" in kinds:
        pool = next(it for it in items if it["kind"] == "bar")["pool"]
        kind = "max" if "max" in pool.type.lower() else "avg"
        out.append(("bar", tr("arch_pool", lang, kind=kind, s=_stride(pool))))
    if "upbar" in kinds:
        out.append(("upbar", tr("arch_upsample", lang)))
    merges = {it.get("merge") for it in items if it["kind"] == "merge"}
    if "cat" in merges:
        out.append(("cat", tr("arch_cat_legend", lang)))
    if "add" in merges:
        out.append(("add", tr("arch_add_legend", lang)))
    return out


def _draw_legend(ax, geo: dict, fs: float) -> None:
    from matplotlib.patches import Circle, FancyBboxPatch

    for r, row in enumerate(geo["legend_rows"]):
        y, x = geo["legend_top"] - r * 1.5 * geo["line_h"], 0.1
        for sample, text, width in row:
            w = _sample_w(sample, fs)
            if sample in ("identity", "projection"):
                ax.plot([x, x + w], [y, y], color=ACCENT, lw=1.8 * geo["u"],
                        linestyle=(0, (4, 2.5)) if sample == "projection" else "-")
            elif sample in ("cat", "add"):
                ax.add_patch(Circle((x + w / 2, y), w / 2, fc=WHITE, ec=NAVY, lw=1.4 * geo["u"]))
                ax.text(x + w / 2, y, "C" if sample == "cat" else "+", ha="center", va="center",
                        fontsize=fs, color=NAVY, fontweight="bold")
            else:
                face = _STYLE[sample][0]
                ax.add_patch(FancyBboxPatch((x, y - 0.1 * geo["u"]), w, 0.2 * geo["u"], boxstyle="round,pad=0,rounding_size=0.02",
                                            fc=face, ec=face))
            ax.text(x + w + 0.08, y, text, va="center", fontsize=fs, color=NAVY)
            x += width


def _alt(spec: Architecture, lang: str) -> str:
    ch = ", ".join(str(s.out_ch) for s in spec.stages)
    hw = ", ".join(_hw_txt(s.out_hw) or _size_txt(spec.units[s.units[-1]], lang) for s in spec.stages)
    counts = "/".join(str(s.n_blocks) for s in spec.stages)
    fcs = [h.out_ch for h in spec.head if h.kind == "fc"]
    if fcs:
        head = tr("arch_alt_head_fc", lang, fc=" → ".join(map(str, fcs)), k=spec.num_classes)
    else:
        head = tr("arch_alt_head_none", lang, shape="×".join(map(str, (spec.output_shape or ())[1:])))
    if spec.family == "residual":
        return tr("arch_alt_resnet", lang, model=spec.name, n=len(spec.stages), blocks=counts,
                  type=spec.stages[0].blocks[0].type, ch=ch, hw=hw, head=head)
    if spec.family == "unet":
        return tr("arch_alt_unet", lang, model=spec.name, n=len({s.out_hw for s in spec.stages}),
                  ch=ch, hw=hw, k=sum(1 for s in spec.skips if s.kind == "cat"))
    return tr("arch_alt_plain", lang, model=spec.name, n=len(spec.stages), blocks=counts, ch=ch, hw=hw,
              head=head)


def _data(spec: Architecture, items: list[dict], collapse: bool, fs: float) -> dict:
    boxes = [{"stage": it["stage"], "type": it["block"].type, "out_ch": it["block"].out_ch,
              "count": it["count"], "downsample": it["block"].downsample, "out_hw": it["block"].out_hw}
             for it in items if "stage" in it]
    return {
        "model": spec.name,
        "family": spec.family,
        "input_size": list(spec.input_size),
        "output_shape": list(spec.output_shape) if spec.output_shape else None,
        "stem": [asdict(layer) for layer in spec.stem],
        "stages": [
            {"name": s.name, "n_blocks": s.n_blocks, "out_ch": s.out_ch, "out_hw": s.out_hw,
             "pool_hw": s.pool_hw}
            for s in spec.stages
        ],
        "blocks": [[asdict(b) for b in s.blocks] for s in spec.stages],
        "boxes": boxes,
        "n_boxes": len(boxes),
        "skips": [asdict(s) for s in spec.skips],
        "collapsed": collapse,
        "head": [asdict(layer) for layer in spec.head],
        "num_classes": spec.num_classes,
        "font_size": fs,
    }
