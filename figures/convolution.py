"""A convolution on a small integer grid: input (with its zero padding), kernel and the output of
``F.conv2d``, every number computed by torch."""

from __future__ import annotations

from .grids import column_width, draw_grid, frame, grid_axes, int_grid, num_grid, text_units
from .labels import resolve_lang, tr
from .number_format import fmt_number
from .output import SVGFigure, finish, new_figure
from .palette import ACCENT, GOLD, LIGHT, MUTED, NAVY, WHITE, legible_fonts, theme


def _signed(v, lang: str) -> str:
    return fmt_number(v, lang)


def conv_illustration(
    *,
    lang: str | None = None,
    size: int = 5,
    kernel: int = 3,
    stride: int = 1,
    padding: int = 1,
    seed: int = 0,
    position: tuple[int, int] | None = None,
) -> SVGFigure:
    """Input grid (with its zero padding), kernel, and the output of ``F.conv2d``;
    the window giving output cell ``position`` is highlighted on the input."""
    import torch
    import torch.nn.functional as F

    lang = resolve_lang(lang)
    if min(size, kernel, stride) < 1 or padding < 0:
        raise ValueError("size, kernel, stride must be >= 1 and padding >= 0")
    if kernel > size + 2 * padding:
        raise ValueError(f"kernel {kernel} larger than the padded input {size + 2 * padding}")
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 10, (size, size), generator=g)
    k = torch.randint(-1, 2, (kernel, kernel), generator=g)
    while not k.any():  # an all-zero kernel teaches nothing
        k = torch.randint(-1, 2, (kernel, kernel), generator=g)
    y = F.conv2d(x[None, None].float(), k[None, None].float(), stride=stride, padding=padding)[0, 0]
    o_h, o_w = y.shape
    if position is None:
        position = (0, min(1, o_w - 1))
    pr, pc = position
    if not (0 <= pr < o_h and 0 <= pc < o_w):
        raise ValueError(f"position {position} outside the {o_h}×{o_w} output")

    n_pad = size + 2 * padding
    padded = [[0] * n_pad for _ in range(n_pad)]
    for r in range(size):
        for c in range(size):
            padded[r + padding][c + padding] = int(x[r, c])
    is_pad = [[not (padding <= r < padding + size and padding <= c < padding + size)
               for c in range(n_pad)] for r in range(n_pad)]
    wr, wc = pr * stride, pc * stride
    in_window = lambda r, c: wr <= r < wr + kernel and wc <= c < wc + kernel  # noqa: E731

    faces = [[("#fcdcd2" if in_window(r, c) else (LIGHT if is_pad[r][c] else WHITE))
              for c in range(n_pad)] for r in range(n_pad)]
    tcol = [[MUTED if is_pad[r][c] else NAVY for c in range(n_pad)]
            for r in range(n_pad)]
    out_vals = num_grid(y)
    value = out_vals[pr][pc]

    gap = 1.6
    cell_in = 0.44  # inches per cell
    t_in = (tr("conv_input", lang, n=size, p=padding) if padding
            else tr("conv_input_nopad", lang, n=size))
    titles = (t_in, tr("conv_kernel", lang, k=kernel), tr("conv_output", lang, n=o_h, m=o_w, s=stride))
    k_texts = [[_signed(int(v), lang) for v in row] for row in k.tolist()]
    out_texts = [[_signed(v, lang) for v in row] for row in out_vals]
    grids = ([str(v) for row in padded for v in row], sum(k_texts, []), sum(out_texts, []))
    # the fonts follow the figure's size and the room its slide leaves (legible_fonts); the columns
    # widen where a number would not fit its cell, the band above the grids grows with its titles,
    # the figure with the widest title: until the layout holds its fonts (a few rounds)
    cols: tuple[float, ...] = (1.0, 1.0, 1.0)
    title_w: tuple[float, ...] = (0.0, 0.0, 0.0)
    top = 1.3
    for _ in range(5):
        x_in, x_k = 0.2, 0.2 + n_pad * cols[0] + gap
        x_out = x_k + kernel * cols[1] + gap
        width = max(x_out + o_w * cols[2], *(x + w for x, w in zip((x_in, x_k, x_out), title_w))) + 0.2
        height = top + max(n_pad, kernel, o_h) + 0.3
        fonts = legible_fonts(width * cell_in, height * cell_in, used=("cell", "text"))
        layout = (tuple(column_width(g, fonts["cell"], cell_in) for g in grids),
                  max(1.3, round(0.3 + 1.3 * fonts["text"] / 72 / cell_in, 3)),  # the titles' band
                  tuple(text_units([t], fonts["text"], cell_in) for t in titles))
        if layout == (cols, top, title_w):
            break
        cols, top, title_w = layout
    with theme(fonts):
        fig = new_figure(width * cell_in, height * cell_in)
        ax = grid_axes(fig, width, height)
        y_in = top
        y_k = top + (n_pad - kernel) / 2
        y_out = top + (n_pad - o_h) / 2
        draw_grid(ax, padded, x_in, y_in, fontsize=fonts["cell"], faces=faces, text_colours=tcol,
                  col_w=cols[0])
        if padding:
            frame(ax, x_in + padding * cols[0], y_in + padding, size * cols[0], size, NAVY, lw=1.6, z=3)
        frame(ax, x_in + wc * cols[0], y_in + wr, kernel * cols[0], kernel, ACCENT)
        kfaces = [[("#fbe3bd") for _ in range(kernel)] for _ in range(kernel)]
        draw_grid(ax, int_grid(k), x_k, y_k, fontsize=fonts["cell"], faces=kfaces, texts=k_texts,
                  col_w=cols[1])
        frame(ax, x_k, y_k, kernel * cols[1], kernel, GOLD, lw=2.0)
        ofaces = [[("#fcdcd2" if (r, c) == (pr, pc) else WHITE) for c in range(o_w)]
                  for r in range(o_h)]
        draw_grid(ax, out_vals, x_out, y_out, fontsize=fonts["cell"], faces=ofaces, texts=out_texts,
                  bold=[[(r, c) == (pr, pc) for c in range(o_w)] for r in range(o_h)], col_w=cols[2])
        frame(ax, x_out + pc * cols[2], y_out + pr, cols[2], 1, ACCENT)
        mid = top + n_pad / 2
        ax.text(x_k - gap / 2, mid, "∗", ha="center", va="center", fontsize=1.8 * fonts["text"],
                color=NAVY)
        ax.text(x_out - gap / 2, mid, "=", ha="center", va="center", fontsize=1.8 * fonts["text"],
                color=NAVY)
        for xx, yy, txt in zip((x_in, x_k, x_out), (y_in, y_k, y_out), titles):
            ax.text(xx, yy - 0.3, txt, ha="left", va="bottom", fontsize=fonts["text"],
                    fontweight="bold", color=NAVY)

        alt = tr("conv_alt", lang, n=size, p=padding, k=kernel, s=stride,
                 v=_signed(value, lang), o=f"{o_h}" if o_h == o_w else f"{o_h}×{o_w}")
        data = {
            "input": int_grid(x),
            "kernel": int_grid(k),
            "output": out_vals,
            "padded_input": padded,
            "stride": stride,
            "padding": padding,
            "position": [pr, pc],
            "window": [wr, wc, kernel],  # top-left corner in padded coordinates, size
            "value": value,
            "seed": seed,
            "font": fonts["cell"],  # the numbers' size, in points
            "columns": list(cols),  # the column widths of the input, kernel and output grids, in cells
        }
        return finish(fig, alt=alt, data=data)
