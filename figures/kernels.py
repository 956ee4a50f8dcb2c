"""Kernels of a network's first convolution, drawn as a grid (weights: :mod:`figures.weights`)."""

from __future__ import annotations

import hashlib
import math
import os
from typing import Any

from .labels import resolve_lang, tr
from .number_format import number_formatter
from .output import SVGFigure, finish, new_figure
from .palette import ACCENT, MUTED, TEAL, legible_fonts, theme
from .weights import checkpoint_inputs, draw_provenance, load_first_conv, weights_data

#: each kernel pixel is drawn as an _UPSAMPLE x _UPSAMPLE block of image pixels
_UPSAMPLE = 6
#: colour between the kernels (0 is drawn white, so the gaps must not be)
_GAP_COLOUR = "#cfd6df"


def tensor_digest(t) -> str:
    """SHA-256 of a tensor's float32 values (C order) - to compare drawn and saved kernels."""
    import torch

    arr = t.detach().to(device="cpu", dtype=torch.float32).contiguous().numpy()
    return hashlib.sha256(arr.tobytes()).hexdigest()


def _grid_shape(n: int, target_ratio: float = 2.6) -> tuple[int, int]:
    """(rows, cols) for n cells, wide rather than tall, few empty cells."""
    best = None
    for rows in range(1, n + 1):
        cols = math.ceil(n / rows)
        if (rows - 1) * cols >= n:  # a whole empty row
            continue
        score = abs(math.log((cols / rows) / target_ratio)) + 0.6 * (rows * cols - n) / n
        if best is None or score < best[0]:
            best = (score, rows, cols)
    assert best is not None  # one row always fits the n >= 1 kernels
    return best[1], best[2]


def upsample(img, factor: int):
    """Nearest-neighbour upsampling of an (H, W[, C]) array: crisp pixels in every
    SVG renderer (browsers honour ``image-rendering: pixelated``, PDF tools do not)."""
    import numpy as np

    return np.repeat(np.repeat(img, factor, axis=0), factor, axis=1)


def diverging_cmap():
    """teal (negative) - white (0) - accent (positive)."""
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list(
        "deck_diverging", [TEAL, "#bfe0e3", "#ffffff", "#f7c3b3", ACCENT]
    )
    return cmap


def _mosaic(tiles, rows: int, cols: int, gap: int, fill):
    """Tiles (n, h, w[, C]) on a rows x cols grid, ``gap`` px around each tile."""
    import numpy as np

    n, h, w = tiles.shape[:3]
    extra = tiles.shape[3:]
    H = rows * (h + gap) + gap
    W = cols * (w + gap) + gap
    out = np.full((H, W) + extra, fill, dtype=np.float64)
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = gap + r * (h + gap), gap + c * (w + gap)
        out[y : y + h, x : x + w] = tiles[i]
    return out


def first_conv_kernels(
    model: Any = "resnet50",
    *,
    weights: Any = "DEFAULT",
    mode: str = "first_channel",
    lang: str | None = None,
    max_kernels: int = 64,
    checkpoint: str | os.PathLike | None = None,
    title: bool = False,
) -> SVGFigure:
    """Grid of the kernels of the first ``nn.Conv2d`` of ``model``.

    ``mode="first_channel"``: first input channel of each kernel, one shared
    diverging colour scale (0 is white) with a colour bar.
    ``mode="rgb"``: the three input channels as an RGB image, normalised with
    the min/max of the whole weight tensor (needs 3 input channels).
    """
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    lang = resolve_lang(lang)
    if mode not in ("first_channel", "rgb"):
        raise ValueError(f"mode must be 'first_channel' or 'rgb', got {mode!r}")
    if max_kernels < 1:
        raise ValueError("max_kernels must be >= 1")

    fc = load_first_conv(model, weights, checkpoint=checkpoint, lang=lang)
    loaded = fc.loaded
    w = fc.module.weight.detach().float().cpu()
    out_ch, in_ch, kh, kw = w.shape
    n = min(max_kernels, out_ch)
    drawn = w[:n]
    if mode == "rgb" and in_ch != 3:
        raise ValueError(f"mode='rgb' needs 3 input channels, {fc.layer} has {in_ch}")

    rows, cols = _grid_shape(n)
    channel_name = "R" if in_ch == 3 else "0"
    size = (8.0, 3.9)
    fonts = legible_fonts(*size)
    line = 1.3 * fonts["small"] / 72 / size[1]  # a line of text, in figure height
    with theme(fonts):
        fig = new_figure(*size)
        # caption lines at the top (a title only when asked: the slide has one), the weights' note
        # at the bottom
        top = 0.99 - (2 + (1.25 if title else 0)) * line - 0.03
        bottom = 1.9 * line
        if mode == "first_channel":
            ax = fig.add_axes((0.01, bottom, 0.86, top - bottom))
            cax = fig.add_axes((0.89, bottom + 0.04, 0.022, top - bottom - 0.08))
            tiles = drawn[:, 0].numpy()
            vmax = float(np.abs(tiles).max()) or 1.0
            mosaic = upsample(_mosaic(tiles, rows, cols, gap=1, fill=np.nan), _UPSAMPLE)
            cmap = diverging_cmap().with_extremes(bad=_GAP_COLOUR)
            im = ax.imshow(mosaic, cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="none")
            cb = fig.colorbar(im, cax=cax)
            cb.outline.set_visible(False)
            cb.ax.yaxis.set_major_formatter(number_formatter(lang))
            cb.ax.tick_params(labelsize=fonts["tick"], length=3)
            cb.ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
            cb.set_label(tr("kernels_cbar", lang, c=channel_name), fontsize=fonts["small"])
            scale = {"vmin": -vmax, "vmax": vmax}
            value_range = [float(tiles.min()), float(tiles.max())]
        else:
            ax = fig.add_axes((0.01, bottom, 0.98, top - bottom))
            lo, hi = float(w.min()), float(w.max())
            tiles = ((drawn - lo) / ((hi - lo) or 1.0)).permute(0, 2, 3, 1).numpy()
            from matplotlib.colors import to_rgb

            mosaic = _mosaic(tiles, rows, cols, gap=1, fill=np.nan)
            mosaic = np.where(np.isnan(mosaic), np.array(to_rgb(_GAP_COLOUR)), mosaic)
            ax.imshow(upsample(mosaic, _UPSAMPLE), interpolation="none")
            scale = {"min": lo, "max": hi}
            value_range = [lo, hi]
        ax.set_axis_off()

        y = 0.99
        if title:
            fig.text(0.01, y, tr("kernels_title", lang, model=loaded.name),
                     ha="left", va="top", fontsize=fonts["title"], fontweight="bold")
            y -= 1.25 * line
        sub = tr("kernels_sub", lang, layer=fc.layer, n=out_ch, kh=kh, kw=kw, c=in_ch)
        if n < out_ch:
            sub += " — " + tr("kernels_shown", lang, shown=n, total=out_ch)
        sub += "\n" + (tr("mode_first_channel", lang) if mode == "first_channel"
                       else tr("kernels_rgb", lang))
        fig.text(0.01, y, sub, ha="left", va="top", fontsize=fonts["small"], color=MUTED,
                 linespacing=1.15)
        label = draw_provenance(fig, loaded, lang, fonts)

        alt = tr("kernels_alt", lang, n=n, kh=kh, kw=kw, model=loaded.name,
                 mode=tr("mode_" + mode, lang), weights=label)
        data = {
            **weights_data(model, fc, label),
            "mode": mode,
            "n_kernels": n,
            "out_channels": out_ch,
            "in_channels": in_ch,
            "kernel_size": (kh, kw),
            "grid": (rows, cols),
            "scale": scale,
            "value_range": value_range,
            # SHA-256 of the drawn kernels (float32), all their input channels
            "kernel_digest": tensor_digest(drawn),
        }
        return finish(fig, alt=alt, data=data)


first_conv_kernels.cache_inputs = checkpoint_inputs  # type: ignore[attr-defined]  # a function attribute, read by figures/cache.py
