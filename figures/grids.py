"""Small integer grids drawn cell by cell (convolution and pooling illustrations): one unit per
cell, y pointing down like matrix indices."""

from __future__ import annotations

from .palette import NAVY, WHITE


def int_grid(t) -> list[list[int]]:
    return [[int(v) for v in row] for row in t.tolist()]


def num_grid(t) -> list[list[float | int]]:
    return [[int(v) if float(v).is_integer() else float(v) for v in row] for row in t.tolist()]


def draw_grid(ax, values, x0, y0, *, fontsize: float, texts=None, faces=None, text_colours=None,
              bold=None, edge="#9aa5b4"):
    """Grid of numbers, top-left cell at (x0, y0), one unit per cell, y pointing down; every number
    at ``fontsize`` (one size for all: a smaller one for long numbers would be the one unread)."""
    from matplotlib.patches import Rectangle

    rows, cols = len(values), len(values[0])
    for r in range(rows):
        for c in range(cols):
            face = faces[r][c] if faces else WHITE
            ax.add_patch(Rectangle((x0 + c, y0 + r), 1, 1, fc=face, ec=edge, lw=1.0, zorder=2))
            txt = texts[r][c] if texts else str(values[r][c])
            colour = text_colours[r][c] if text_colours else NAVY
            weight = "bold" if bold and bold[r][c] else "normal"
            ax.text(x0 + c + 0.5, y0 + r + 0.52, txt, ha="center", va="center",
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
