"""Small integer grids drawn cell by cell (convolution and pooling illustrations): one unit per
cell, y pointing down like matrix indices."""

from __future__ import annotations

from .palette import NAVY, WHITE


def int_grid(t) -> list[list[int]]:
    return [[int(v) for v in row] for row in t.tolist()]


def num_grid(t) -> list[list[float | int]]:
    return [[int(v) if float(v).is_integer() else float(v) for v in row] for row in t.tolist()]


#: room a cell keeps around its text, in em of the text (a quarter either side)
CELL_PAD_EM = 0.5


def text_units(texts, fontsize: float, unit_in: float) -> float:
    """Width, in grid units of ``unit_in`` inches, of the widest of ``texts`` at ``fontsize`` points,
    measured in the figures' font (bold: the widest)."""
    from .architecture_layout import _line_w

    return max((_line_w(str(t), round(fontsize, 3)) for t in texts), default=0.0) / unit_in


def column_width(texts, fontsize: float, unit_in: float) -> float:
    """Width in grid units of a grid's columns: one unit (a square cell), wider where the widest of
    ``texts`` with its padding would not fit in one: text stays inside its cell."""
    return max(1.0, round(text_units(texts, fontsize, unit_in) + CELL_PAD_EM * fontsize / 72 / unit_in, 3))


def draw_grid(ax, values, x0, y0, *, fontsize: float, texts=None, faces=None, text_colours=None,
              bold=None, edge="#9aa5b4", col_w: float = 1.0):
    """Grid of numbers, top-left cell at (x0, y0), one unit per row and ``col_w`` per column (see
    :func:`column_width`), y pointing down; every number at ``fontsize`` (one size for all: a
    smaller one for long numbers would be the one unread)."""
    from matplotlib.patches import Rectangle

    rows, cols = len(values), len(values[0])
    for r in range(rows):
        for c in range(cols):
            face = faces[r][c] if faces else WHITE
            ax.add_patch(Rectangle((x0 + c * col_w, y0 + r), col_w, 1, fc=face, ec=edge, lw=1.0, zorder=2))
            txt = texts[r][c] if texts else str(values[r][c])
            colour = text_colours[r][c] if text_colours else NAVY
            weight = "bold" if bold and bold[r][c] else "normal"
            ax.text(x0 + c * col_w + 0.5 * col_w, y0 + r + 0.52, txt, ha="center", va="center",
                    fontsize=fontsize, color=colour, fontweight=weight, zorder=4)


def frame(ax, x, y, w, h, colour, lw=3.0, z=5):
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x, y), w, h, fc="none", ec=colour, lw=lw, zorder=z))


def grid_axes(fig, width_units: float, height_units: float):
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width_units)
    ax.set_ylim(height_units, 0)  # y down, like matrix indices
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax
