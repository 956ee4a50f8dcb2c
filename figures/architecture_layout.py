"""Where an architecture diagram's items go: their widths measured in the figures' font, the gaps
between them, rows (a chain cut into rows, a U one row per resolution), the labels under the stages,
the legend's rows and the figure's size, all for one text size (:mod:`figures.architectures` picks
that size)."""

from __future__ import annotations

import functools

from deck.shared.svg import register_deck_font

from .architecture_items import _hw_txt
from .blocks import Architecture
from .palette import THEME_RC

_GAP_IN = 0.16  # between items of a group, inches
_GAP_OUT = 0.36  # between groups
_BAR_W = 0.16  # pooling bar
_MERGE_W = 0.44  # concatenation / addition circle


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
