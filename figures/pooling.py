"""Max and average pooling on a small integer grid: every number computed by ``F.max_pool2d`` /
``F.avg_pool2d``."""

from __future__ import annotations

from .grids import column_width, draw_grid, frame, grid_axes, int_grid, num_grid, text_units
from .labels import resolve_lang, tr
from .number_format import fmt_number
from .output import SVGFigure, finish, new_figure
from .palette import ACCENT, GOLD, GREY, LIGHT, MUTED, NAVY, TEAL, WHITE, legible_fonts, theme

_WINDOW_TINTS = ("#f9d5c9", "#c5e3e7", "#fbe3bd", "#d3dbe8", "#e5d4ef", "#d9ecd0")
_WINDOW_EDGES = (ACCENT, TEAL, GOLD, NAVY, "#8e5fb0", "#5a9a4a")


def pool_illustration(
    kind: str = "max",
    *,
    lang: str | None = None,
    size: int = 4,
    kernel: int = 2,
    stride: int = 2,
    seed: int = 0,
) -> SVGFigure:
    """Input grid and the output of ``F.max_pool2d`` / ``F.avg_pool2d``. Windows
    (and their output cells) share a colour; with overlapping windows only the
    first one is coloured. For max pooling the maximum of each window is bold."""
    import torch
    import torch.nn.functional as F

    lang = resolve_lang(lang)
    if kind not in ("max", "avg"):
        raise ValueError(f"kind must be 'max' or 'avg', got {kind!r}")
    if min(size, kernel, stride) < 1 or kernel > size:
        raise ValueError("need 1 <= kernel <= size and stride >= 1")
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 10, (size, size), generator=g)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    y = pool(x[None, None].float(), kernel_size=kernel, stride=stride)[0, 0]
    o = y.shape[0]
    out_vals = num_grid(y)
    xs = int_grid(x)

    overlapping = stride < kernel
    coloured = [(0, 0)] if overlapping else [(r, c) for r in range(o) for c in range(o)]
    tint = {}
    for i, (r, c) in enumerate(coloured):
        tint[(r, c)] = i % len(_WINDOW_TINTS)
    faces = [[LIGHT] * size for _ in range(size)]  # cells in no window: light
    bold = [[False] * size for _ in range(size)]
    for r in range(o):
        for c in range(o):
            for rr in range(r * stride, r * stride + kernel):
                for cc in range(c * stride, c * stride + kernel):
                    if faces[rr][cc] == LIGHT:
                        faces[rr][cc] = WHITE
    for (r, c), t in tint.items():
        window = [(rr, cc) for rr in range(r * stride, r * stride + kernel)
                  for cc in range(c * stride, c * stride + kernel)]
        for rr, cc in window:
            faces[rr][cc] = _WINDOW_TINTS[t]
        if kind == "max":
            best = max(xs[rr][cc] for rr, cc in window)
            for rr, cc in window:
                bold[rr][cc] = xs[rr][cc] == best
    ofaces = [[_WINDOW_TINTS[tint[(r, c)]] if (r, c) in tint else WHITE for c in range(o)]
              for r in range(o)]

    cell_in = 0.5
    kind_name = tr("pool_" + kind, lang)
    out_texts = [[fmt_number(v, lang) for v in row] for row in out_vals]
    out_title, window_text = tr("output", lang), tr("pool_window", lang, k=kernel, s=stride)
    # the fonts follow the figure's size and the room its slide leaves (legible_fonts); the columns
    # widen where a number would not fit its cell, the band above the grids grows with its title, the
    # figure with the texts right of the output: until the layout holds its fonts (a few rounds)
    cols, top, right, drawn = (1.0, 1.0), 1.0, 4.5, None
    for _ in range(6):
        height = top + size + 0.3
        # the width before the gap is known (its narrowest), then the width drawn
        planned = size * cols[0] + 2.2 + max(o * cols[1], right) + 0.4 if drawn is None else drawn
        fonts = legible_fonts(planned * cell_in, height * cell_in)
        # the arrow's label must fit between the grids
        gap = max(2.2, len(kind_name) * 0.6 * fonts["small"] / 72 / cell_in + 0.8)
        x_in, x_out = 0.2, 0.2 + size * cols[0] + gap
        width = x_out + max(o * cols[1], right) + 0.2
        layout = ((column_width([str(v) for row in xs for v in row], fonts["cell"], cell_in),
                   column_width(sum(out_texts, []), fonts["cell"], cell_in)),
                  max(1.0, round(0.3 + 1.3 * fonts["text"] / 72 / cell_in, 3)),  # the title's band
                  max(4.5, text_units([out_title], fonts["text"], cell_in),
                      text_units([window_text], fonts["small"], cell_in)))
        if layout == (cols, top, right) and legible_fonts(width * cell_in, height * cell_in) == fonts:
            break
        cols, top, right, drawn = *layout, width
    with theme(fonts):
        fig = new_figure(width * cell_in, height * cell_in)
        ax = grid_axes(fig, width, height)
        draw_grid(ax, xs, x_in, top, fontsize=fonts["cell"], faces=faces,
                  bold=bold if kind == "max" else None, col_w=cols[0])
        y_out = top + (size - o) / 2
        draw_grid(ax, out_vals, x_out, y_out, fontsize=fonts["cell"], faces=ofaces, texts=out_texts,
                  bold=[[True] * o for _ in range(o)], col_w=cols[1])
        for (r, c), t in tint.items():
            frame(ax, x_in + c * stride * cols[0], top + r * stride, kernel * cols[0], kernel, _WINDOW_EDGES[t],
                   lw=2.4)
            frame(ax, x_out + c * cols[1], y_out + r, cols[1], 1, _WINDOW_EDGES[t], lw=2.4)
        in_right = x_in + size * cols[0]
        ax.annotate("", xy=(x_out - 0.3, top + size / 2), xytext=(in_right + 0.3, top + size / 2),
                    arrowprops=dict(arrowstyle="-|>", color=GREY, lw=2.0,
                                    mutation_scale=18))
        ax.text((in_right + x_out) / 2, top + size / 2 - 0.35, kind_name, ha="center",
                va="bottom", fontsize=fonts["small"], color=MUTED)
        ax.text(x_in, top - 0.3, tr("conv_input_nopad", lang, n=size), ha="left",
                va="bottom", fontsize=fonts["text"], fontweight="bold", color=NAVY)
        ax.text(x_out, y_out - 0.3, out_title, ha="left", va="bottom",
                fontsize=fonts["text"], fontweight="bold", color=NAVY)
        ax.text(x_out, y_out + o + 0.25, window_text,
                ha="left", va="top", fontsize=fonts["small"], color=MUTED)

        alt = tr("pool_alt", lang, kind=kind_name.capitalize(), k=kernel, s=stride,
                 n=size, o=o)
        data = {
            "kind": kind,
            "input": xs,
            "output": out_vals,
            "kernel": kernel,
            "stride": stride,
            "seed": seed,
            "output_labels": out_texts,
            "coloured_windows": [list(p) for p in tint],
        }
        return finish(fig, alt=alt, data=data)
