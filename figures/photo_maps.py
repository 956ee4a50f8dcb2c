"""Feature maps of a real photograph: the first convolution of a network applied to it."""

from __future__ import annotations

import os
from typing import Any

from .labels import resolve_lang, tr
from .output import SVGFigure, finish, new_figure
from .palette import MUTED, legible_fonts, theme
from .weights import draw_provenance, expected_checkpoint, load_first_conv, weights_data

#: ImageNet normalisation used by torchvision's classification weights
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
SAMPLE_IMAGE = "grace_hopper.jpg"


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
    lang: str | None = None,
    checkpoint: str | os.PathLike | None = None,
    title: bool = False,
) -> SVGFigure:
    """A photograph (224×224) and ``n`` output channels of the model's first
    convolution applied to it: the ``n`` channels with the largest spatial
    standard deviation, each map min-max normalised on its own."""
    import torch

    lang = resolve_lang(lang)
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
    size = (8.0, 4.2)
    fonts = legible_fonts(*size)
    line = 1.3 * fonts["small"] / 72 / size[1]  # a line of text, in figure height
    with theme(fonts):
        fig = new_figure(*size)
        # two caption lines (and a title only when asked: the slide has one), the weights' note below
        top = 0.99 - (2 + (1.25 if title else 0)) * line - 1.2 * line - 0.02
        bottom = 1.9 * line
        photo_h = top - bottom
        ax_p = fig.add_axes((0.01, bottom, 0.36, photo_h))
        ax_p.imshow(photo.permute(1, 2, 0).numpy(), interpolation="none")
        ax_p.set_axis_off()
        ax_p.set_title(tr("fmaps_photo", lang), fontsize=fonts["small"],
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
            ax.set_title(f"{tr('channel', lang)} {ch}", fontsize=fonts["small"],
                         fontweight="normal", loc="center", pad=3)
        loaded = fc.loaded
        y = 0.99
        if title:
            fig.text(0.01, y, tr("fmaps_title", lang, layer=fc.layer, model=loaded.name),
                     ha="left", va="top", fontsize=fonts["title"], fontweight="bold")
            y -= 1.25 * line
        fig.text(0.01, y, tr("fmaps_sub", lang), ha="left", va="top", fontsize=fonts["small"],
                 color=MUTED, linespacing=1.15)
        label = draw_provenance(fig, loaded, lang, fonts)
        alt = tr("fmaps_alt", lang, n=n, h=h, w=w, model=loaded.name, weights=label)
        data = {
            **weights_data(model, fc, label),
            "image": SAMPLE_IMAGE,
            "n": n,
            "channels": channels,
            "map_size": (int(h), int(w)),
            "channel_std": [float(spread[c]) for c in channels],
        }
        return finish(fig, alt=alt, data=data)


def _fmaps_cache_inputs(*, model="resnet18", weights="DEFAULT", checkpoint=None, **_):
    path = expected_checkpoint(model, weights, checkpoint)
    return [path] if path else []


feature_maps.cache_inputs = _fmaps_cache_inputs  # type: ignore[attr-defined]  # a function attribute, read by figures/cache.py
