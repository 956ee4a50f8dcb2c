"""Convolution and pooling on small integer grids, and real feature maps.

Every number drawn is computed by ``torch.nn.functional`` (conv2d, max_pool2d,
avg_pool2d) or by the model itself.
"""

from __future__ import annotations

import os
from typing import Any

from . import style
from .kernels import draw_provenance, expected_checkpoint, load_first_conv

#: ImageNet normalisation used by torchvision's classification weights
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
SAMPLE_IMAGE = "grace_hopper.jpg"

_WINDOW_TINTS = ("#f9d5c9", "#c5e3e7", "#fbe3bd", "#d3dbe8", "#e5d4ef", "#d9ecd0")
_WINDOW_EDGES = (style.ACCENT, style.TEAL, style.GOLD, style.NAVY, "#8e5fb0", "#5a9a4a")


def _int_grid(t) -> list[list[int]]:
    return [[int(v) for v in row] for row in t.tolist()]


def _num_grid(t) -> list[list[float | int]]:
    return [[int(v) if float(v).is_integer() else float(v) for v in row] for row in t.tolist()]


def _draw_grid(ax, values, x0, y0, *, texts=None, faces=None, text_colours=None, bold=None,
               fontsize=None, edge="#9aa5b4"):
    """Grid of numbers, top-left cell at (x0, y0), one unit per cell, y pointing down."""
    from matplotlib.patches import Rectangle

    rows, cols = len(values), len(values[0])
    if fontsize is None:
        longest = max(len(t) for row in (texts or values) for t in map(str, row))
        fontsize = style.FONT["cell"] if longest <= 2 else style.FONT["cell"] - 1.5
    for r in range(rows):
        for c in range(cols):
            face = faces[r][c] if faces else style.WHITE
            ax.add_patch(Rectangle((x0 + c, y0 + r), 1, 1, fc=face, ec=edge, lw=1.0, zorder=2))
            txt = texts[r][c] if texts else str(values[r][c])
            colour = text_colours[r][c] if text_colours else style.NAVY
            weight = "bold" if bold and bold[r][c] else "normal"
            ax.text(x0 + c + 0.5, y0 + r + 0.52, txt, ha="center", va="center",
                    fontsize=fontsize, color=colour, fontweight=weight, zorder=4)


def _frame(ax, x, y, w, h, colour, lw=3.0, z=5):
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x, y), w, h, fc="none", ec=colour, lw=lw, zorder=z))


def _grid_axes(fig, width_units: float, height_units: float):
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width_units)
    ax.set_ylim(height_units, 0)  # y down, like matrix indices
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def _signed(v, lang: str) -> str:
    return style.fmt_number(v, lang)


def conv_illustration(
    *,
    lang: str = "fr",
    size: int = 5,
    kernel: int = 3,
    stride: int = 1,
    padding: int = 1,
    seed: int = 0,
    position: tuple[int, int] | None = None,
) -> style.SVGFigure:
    """Input grid (with its zero padding), kernel, and the output of ``F.conv2d``;
    the window giving output cell ``position`` is highlighted on the input."""
    import torch
    import torch.nn.functional as F

    style.check_lang(lang)
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

    faces = [[("#fcdcd2" if in_window(r, c) else (style.LIGHT if is_pad[r][c] else style.WHITE))
              for c in range(n_pad)] for r in range(n_pad)]
    tcol = [[style.GREY if is_pad[r][c] else style.NAVY for c in range(n_pad)]
            for r in range(n_pad)]
    out_vals = _num_grid(y)
    value = out_vals[pr][pc]

    gap = 1.6
    x_in, x_k = 0.2, 0.2 + n_pad + gap
    x_out = x_k + kernel + gap
    width = x_out + o_w + 0.2
    top = 1.3  # room for the titles
    height = top + max(n_pad, kernel, o_h) + 0.3
    cell_in = 0.44  # inches per cell
    with style.theme():
        fig = style.new_figure(width * cell_in, height * cell_in)
        ax = _grid_axes(fig, width, height)
        y_in = top
        y_k = top + (n_pad - kernel) / 2
        y_out = top + (n_pad - o_h) / 2
        _draw_grid(ax, padded, x_in, y_in, faces=faces, text_colours=tcol)
        if padding:
            _frame(ax, x_in + padding, y_in + padding, size, size, style.NAVY, lw=1.6, z=3)
        _frame(ax, x_in + wc, y_in + wr, kernel, kernel, style.ACCENT)
        kfaces = [[("#fbe3bd") for _ in range(kernel)] for _ in range(kernel)]
        _draw_grid(ax, _int_grid(k), x_k, y_k, faces=kfaces,
                   texts=[[_signed(int(v), lang) for v in row] for row in k.tolist()])
        _frame(ax, x_k, y_k, kernel, kernel, style.GOLD, lw=2.0)
        ofaces = [[("#fcdcd2" if (r, c) == (pr, pc) else style.WHITE) for c in range(o_w)]
                  for r in range(o_h)]
        _draw_grid(ax, out_vals, x_out, y_out, faces=ofaces,
                   texts=[[_signed(v, lang) for v in row] for row in out_vals],
                   bold=[[(r, c) == (pr, pc) for c in range(o_w)] for r in range(o_h)])
        _frame(ax, x_out + pc, y_out + pr, 1, 1, style.ACCENT)
        mid = top + n_pad / 2
        ax.text(x_k - gap / 2, mid, "∗", ha="center", va="center", fontsize=22,
                color=style.NAVY)
        ax.text(x_out - gap / 2, mid, "=", ha="center", va="center", fontsize=22,
                color=style.NAVY)
        t_in = (style.tr("conv_input", lang, n=size, p=padding) if padding
                else style.tr("conv_input_nopad", lang, n=size))
        for xx, yy, txt in ((x_in, y_in, t_in),
                            (x_k, y_k, style.tr("conv_kernel", lang, k=kernel)),
                            (x_out, y_out, style.tr("conv_output", lang, n=o_h, m=o_w, s=stride))):
            ax.text(xx, yy - 0.3, txt, ha="left", va="bottom", fontsize=style.FONT["text"],
                    fontweight="bold", color=style.NAVY)

        alt = style.tr("conv_alt", lang, n=size, p=padding, k=kernel, s=stride,
                       v=_signed(value, lang), o=f"{o_h}" if o_h == o_w else f"{o_h}×{o_w}")
        data = {
            "input": _int_grid(x),
            "kernel": _int_grid(k),
            "output": out_vals,
            "padded_input": padded,
            "stride": stride,
            "padding": padding,
            "position": [pr, pc],
            "window": [wr, wc, kernel],  # top-left corner in padded coordinates, size
            "value": value,
            "seed": seed,
        }
        return style.finish(fig, alt=alt, data=data)


def pool_illustration(
    kind: str = "max",
    *,
    lang: str = "fr",
    size: int = 4,
    kernel: int = 2,
    stride: int = 2,
    seed: int = 0,
) -> style.SVGFigure:
    """Input grid and the output of ``F.max_pool2d`` / ``F.avg_pool2d``. Windows
    (and their output cells) share a colour; with overlapping windows only the
    first one is coloured. For max pooling the maximum of each window is bold."""
    import torch
    import torch.nn.functional as F

    style.check_lang(lang)
    if kind not in ("max", "avg"):
        raise ValueError(f"kind must be 'max' or 'avg', got {kind!r}")
    if min(size, kernel, stride) < 1 or kernel > size:
        raise ValueError("need 1 <= kernel <= size and stride >= 1")
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 10, (size, size), generator=g)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    y = pool(x[None, None].float(), kernel_size=kernel, stride=stride)[0, 0]
    o = y.shape[0]
    out_vals = _num_grid(y)
    xs = _int_grid(x)

    overlapping = stride < kernel
    coloured = [(0, 0)] if overlapping else [(r, c) for r in range(o) for c in range(o)]
    tint = {}
    for i, (r, c) in enumerate(coloured):
        tint[(r, c)] = i % len(_WINDOW_TINTS)
    faces = [[style.LIGHT] * size for _ in range(size)]  # cells in no window: light
    bold = [[False] * size for _ in range(size)]
    for r in range(o):
        for c in range(o):
            for rr in range(r * stride, r * stride + kernel):
                for cc in range(c * stride, c * stride + kernel):
                    if faces[rr][cc] == style.LIGHT:
                        faces[rr][cc] = style.WHITE
    for (r, c), t in tint.items():
        window = [(rr, cc) for rr in range(r * stride, r * stride + kernel)
                  for cc in range(c * stride, c * stride + kernel)]
        for rr, cc in window:
            faces[rr][cc] = _WINDOW_TINTS[t]
        if kind == "max":
            best = max(xs[rr][cc] for rr, cc in window)
            for rr, cc in window:
                bold[rr][cc] = xs[rr][cc] == best
    ofaces = [[_WINDOW_TINTS[tint[(r, c)]] if (r, c) in tint else style.WHITE for c in range(o)]
              for r in range(o)]

    cell_in = 0.5
    kind_name = style.tr("pool_" + kind, lang)
    # the arrow's label must fit between the grids
    gap = max(2.2, len(kind_name) * 0.6 * style.FONT["small"] / 72 / cell_in + 0.8)
    x_in, x_out = 0.2, 0.2 + size + gap
    top = 1.0
    width = x_out + max(o, 4.5) + 0.2
    height = top + size + 0.3
    with style.theme():
        fig = style.new_figure(width * cell_in, height * cell_in)
        ax = _grid_axes(fig, width, height)
        _draw_grid(ax, xs, x_in, top, faces=faces, bold=bold if kind == "max" else None)
        y_out = top + (size - o) / 2
        _draw_grid(ax, out_vals, x_out, y_out, faces=ofaces,
                   texts=[[style.fmt_number(v, lang) for v in row] for row in out_vals],
                   bold=[[True] * o for _ in range(o)])
        for (r, c), t in tint.items():
            _frame(ax, x_in + c * stride, top + r * stride, kernel, kernel, _WINDOW_EDGES[t],
                   lw=2.4)
            _frame(ax, x_out + c, y_out + r, 1, 1, _WINDOW_EDGES[t], lw=2.4)
        ax.annotate("", xy=(x_out - 0.3, top + size / 2), xytext=(x_in + size + 0.3, top + size / 2),
                    arrowprops=dict(arrowstyle="-|>", color=style.GREY, lw=2.0,
                                    mutation_scale=18))
        ax.text((x_in + size + x_out) / 2, top + size / 2 - 0.35, kind_name, ha="center",
                va="bottom", fontsize=style.FONT["small"], color=style.GREY)
        ax.text(x_in, top - 0.3, style.tr("conv_input_nopad", lang, n=size), ha="left",
                va="bottom", fontsize=style.FONT["text"], fontweight="bold", color=style.NAVY)
        ax.text(x_out, y_out - 0.3, style.tr("output", lang), ha="left", va="bottom",
                fontsize=style.FONT["text"], fontweight="bold", color=style.NAVY)
        ax.text(x_out, y_out + o + 0.25, f"{kernel}×{kernel}, "
                + ("pas" if lang == "fr" else "stride") + f" {stride}",
                ha="left", va="top", fontsize=style.FONT["small"], color=style.GREY)

        alt = style.tr("pool_alt", lang, kind=kind_name.capitalize(), k=kernel, s=stride,
                       n=size, o=o)
        data = {
            "kind": kind,
            "input": xs,
            "output": out_vals,
            "kernel": kernel,
            "stride": stride,
            "seed": seed,
            "output_labels": [[style.fmt_number(v, lang) for v in row] for row in out_vals],
            "coloured_windows": [list(p) for p in tint],
        }
        return style.finish(fig, alt=alt, data=data)


# --------------------------------------------------------------------------
# Feature maps of a real photograph
# --------------------------------------------------------------------------


def sample_image_path() -> str:
    """Path of the photograph shipped with matplotlib (never downloaded)."""
    from matplotlib import cbook

    return os.fspath(cbook.get_sample_data(SAMPLE_IMAGE, asfileobj=False))


def load_photo(size: int = 224):
    """(RGB tensor in [0, 1] of shape (3, size, size), normalised batch (1, 3, size, size))."""
    import torch
    import torchvision.transforms.functional as TF
    from PIL import Image

    with Image.open(sample_image_path()) as im:
        img = TF.pil_to_tensor(im.convert("RGB"))
    img = TF.resize(img, size, antialias=True)
    img = TF.center_crop(img, [size, size]).float() / 255.0
    batch = TF.normalize(img, IMAGENET_MEAN, IMAGENET_STD)[None]
    return img.clamp(0, 1), batch.to(torch.float32)


def feature_maps(
    *,
    model: Any = "resnet18",
    weights: Any = "DEFAULT",
    n: int = 8,
    lang: str = "fr",
    checkpoint: str | os.PathLike | None = None,
) -> style.SVGFigure:
    """A photograph (224×224) and ``n`` output channels of the model's first
    convolution applied to it: the ``n`` channels with the largest spatial
    standard deviation, each map min-max normalised on its own."""
    import torch

    style.check_lang(lang)
    if n < 1:
        raise ValueError("n must be >= 1")
    fc = load_first_conv(model, weights, checkpoint=checkpoint, lang=lang)
    conv = fc.module
    photo, batch = load_photo(224)
    with torch.no_grad():
        maps = conv.float().cpu()(batch)[0]  # (C, H, W)
    n = min(n, maps.shape[0])
    spread = maps.flatten(1).std(dim=1)
    channels = sorted(torch.argsort(spread, descending=True, stable=True)[:n].tolist())
    h, w = maps.shape[1:]

    ncols = n if n <= 4 else (n + 1) // 2
    nrows = 1 if n <= 4 else 2
    with style.theme():
        fig = style.new_figure(8.0, 4.2)
        top, bottom = 0.76, 0.12
        photo_h = top - bottom
        ax_p = fig.add_axes((0.01, bottom, 0.36, photo_h))
        ax_p.imshow(photo.permute(1, 2, 0).numpy(), interpolation="none")
        ax_p.set_axis_off()
        ax_p.set_title(style.tr("fmaps_photo", lang), fontsize=style.FONT["small"],
                       fontweight="normal", loc="center", pad=4)
        grid = fig.add_gridspec(nrows, ncols, left=0.40, right=0.99, bottom=bottom, top=top,
                                wspace=0.06, hspace=0.22)
        for i, ch in enumerate(channels):
            ax = fig.add_subplot(grid[i // ncols, i % ncols])
            m = maps[ch].numpy()
            lo, hi = float(m.min()), float(m.max())
            ax.imshow((m - lo) / ((hi - lo) or 1.0), cmap="gray", vmin=0, vmax=1,
                      interpolation="none")
            ax.set_axis_off()
            ax.set_title(f"{style.tr('channel', lang)} {ch}", fontsize=style.FONT["small"],
                         fontweight="normal", loc="center", pad=3)
        loaded = fc.loaded
        fig.text(0.01, 0.985, style.tr("fmaps_title", lang, layer=fc.layer, model=loaded.name),
                 ha="left", va="top", fontsize=style.FONT["title"], fontweight="bold")
        fig.text(0.01, 0.905, style.tr("fmaps_sub", lang), ha="left", va="top",
                 fontsize=style.FONT["small"], color=style.GREY)
        label = draw_provenance(fig, loaded, lang)
        alt = style.tr("fmaps_alt", lang, n=n, h=h, w=w, model=loaded.name, weights=label)
        data = {
            "model": model if isinstance(model, str) else type(model).__name__,
            "layer": fc.layer,
            "pretrained": fc.pretrained,
            "status": loaded.status,
            "provenance": label,
            "checkpoint": fc.checkpoint,
            "image": SAMPLE_IMAGE,
            "n": n,
            "channels": channels,
            "map_size": (int(h), int(w)),
            "channel_std": [float(spread[c]) for c in channels],
        }
        return style.finish(fig, alt=alt, data=data)


def _fmaps_cache_inputs(*, model="resnet18", weights="DEFAULT", checkpoint=None, **_):
    path = expected_checkpoint(model, weights, checkpoint)
    return [path] if path else []


feature_maps.cache_inputs = _fmaps_cache_inputs
