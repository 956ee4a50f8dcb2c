"""An architecture diagram drawn from its laid-out items (:mod:`figures.architecture_layout`): boxes,
connections, turns between rows, skips, stage labels and legend in matplotlib, written as the
figure's SVG with its description (alt text) and data."""

from __future__ import annotations

from dataclasses import asdict

from .architecture_items import _hw_txt, _size_txt
from .architecture_layout import _sample_w, _text_w
from .blocks import Architecture
from .labels import tr
from .output import SVGFigure, finish, new_figure
from .palette import ACCENT, GOLD, GREY, LIGHT, NAVY, TEAL, WHITE, theme

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


def _stage_label(spec: Architecture, members: list[dict], lang: str, one_line: bool) -> str:
    """What is written under a stage: its name and the size it hands on, on one line or two."""
    key = "arch_stage" if spec.family == "residual" else "arch_block"
    name, size = tr(key, lang, i=members[0]["stage"] + 1), _size_txt(spec.units[members[-1]["units"][-1]], lang)
    return f"{name} · {size}" if one_line else f"{name}\n{size}"


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
