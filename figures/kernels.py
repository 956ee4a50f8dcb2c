"""Kernels of a network's first convolution, and the (offline) weight loader.

Pretrained weights are never downloaded: the torchvision checkpoint is looked
up in the local torch hub cache (``$TORCH_HOME/hub/checkpoints/<file>``); when
it is missing the figure shows deterministic untrained weights, says so on the
picture and warns the lecturer.
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
from typing import Any, NamedTuple

from . import style

#: seed of the untrained fallback weights
UNTRAINED_SEED = 0
#: each kernel pixel is drawn as an _UPSAMPLE x _UPSAMPLE block of image pixels
_UPSAMPLE = 6
#: colour between the kernels (0 is drawn white, so the gaps must not be)
_GAP_COLOUR = "#cfd6df"


class LoadedModel(NamedTuple):
    model: Any  # nn.Module
    pretrained: bool | None  # None: an nn.Module given as is, provenance unknown
    checkpoint: str | None  # file the weights were (or should have been) read from
    status: str  # "pretrained" | "given" | "untrained_missing" | "untrained_unreadable" | "untrained_explicit"
    name: str  # display name, e.g. "ResNet-50"
    weights_name: str | None  # e.g. "IMAGENET1K_V2"


class FirstConv(NamedTuple):
    module: Any  # nn.Conv2d
    pretrained: bool | None
    checkpoint: str | None
    layer: str  # qualified module name, e.g. "conv1" or "features.0"
    loaded: LoadedModel


def resolve_weights(name: str, weights: Any):
    """torchvision weights enum member for model ``name``.

    ``weights`` may be ``None``, ``"DEFAULT"``, a member name
    (``"IMAGENET1K_V1"``), a full name (``"ResNet50_Weights.IMAGENET1K_V1"``)
    or an enum member.
    """
    if weights is None:
        return None
    from torchvision.models import WeightsEnum, get_model_weights

    if isinstance(weights, WeightsEnum):
        return weights
    enum = get_model_weights(name)
    key = str(weights).split(".")[-1]
    if key == "DEFAULT":
        return enum.DEFAULT
    try:
        return enum[key]
    except KeyError:
        raise ValueError(
            f"unknown weights {weights!r} for {name}; choose among {[w.name for w in enum]}"
        ) from None


def checkpoint_path(weights) -> str:
    """Where torch hub would store the checkpoint of ``weights`` (a weights enum)."""
    import torch
    from urllib.parse import urlparse

    filename = os.path.basename(urlparse(weights.url).path)
    return os.path.join(torch.hub.get_dir(), "checkpoints", filename)


def expected_checkpoint(model: Any, weights: Any = "DEFAULT", checkpoint: str | None = None):
    """The checkpoint file a figure depends on (``None`` if none), for cache keys."""
    if checkpoint is not None:
        return os.fspath(checkpoint)
    if isinstance(model, str) and weights is not None:
        return checkpoint_path(resolve_weights(model, weights))
    if not isinstance(model, str) and weights is not None and not isinstance(weights, str):
        return checkpoint_path(weights)
    return None


def _read_state_dict(path: str):
    import torch

    sd = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(sd, dict):
        for key in ("state_dict", "model"):
            if key in sd and isinstance(sd[key], dict):
                sd = sd[key]
    return sd


def _build_untrained(name: str, seed: int = UNTRAINED_SEED, **config):
    import torch
    import torchvision

    # seeded without touching the caller's global RNG stream
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return torchvision.models.get_model(name, weights=None, **config)


def load_model(
    model: Any = "resnet50",
    weights: Any = "DEFAULT",
    *,
    checkpoint: str | os.PathLike | None = None,
    lang: str = "fr",
) -> LoadedModel:
    """Model with pretrained weights from the local cache, never downloaded.

    * ``model`` a torchvision name: the checkpoint is ``checkpoint`` if given,
      else the file torch hub would have downloaded for ``weights``.
    * ``model`` an ``nn.Module``: used as is (deep-copied before loading), unless
      ``checkpoint`` (a path) or ``weights`` (a torchvision weights enum member)
      says which file to load into it.

    When the file is missing (or unreadable) the weights stay untrained
    (deterministic seed) and a ``UserWarning`` names the missing path.
    """
    import torch
    import torchvision

    style.check_lang(lang)
    if checkpoint is not None:
        checkpoint = os.fspath(checkpoint)

    if isinstance(model, str):
        name = model
        display = style.pretty_model_name(name)
        wenum = resolve_weights(name, weights)
        config = {}
        if wenum is not None and "categories" in wenum.meta:
            config["num_classes"] = len(wenum.meta["categories"])
        if checkpoint is None and wenum is not None:
            checkpoint = checkpoint_path(wenum)
        weights_name = wenum.name if wenum is not None else None
        if checkpoint is None:
            return LoadedModel(
                _build_untrained(name, **config), False, None, "untrained_explicit", display, None
            )
        url = wenum.url if wenum is not None else checkpoint
        if os.path.isfile(checkpoint):
            try:
                with torch.device("meta"):
                    net = torchvision.models.get_model(name, weights=None, **config)
                net.load_state_dict(_read_state_dict(checkpoint), assign=True)
                net.eval()
                return LoadedModel(net, True, checkpoint, "pretrained", display, weights_name)
            except Exception as exc:  # corrupt or mismatching file
                style.warn(tr_warn("warn_unreadable", lang, path=checkpoint, error=exc))
                return LoadedModel(
                    _build_untrained(name, **config).eval(), False, checkpoint,
                    "untrained_unreadable", display, weights_name,
                )
        style.warn(tr_warn("warn_missing", lang, path=checkpoint, url=url))
        return LoadedModel(
            _build_untrained(name, **config).eval(), False, checkpoint,
            "untrained_missing", display, weights_name,
        )

    # an nn.Module
    net = model
    display = type(model).__name__
    weights_name = None
    if checkpoint is None and weights is not None and not isinstance(weights, str):
        checkpoint = checkpoint_path(weights)
        weights_name = weights.name
    if checkpoint is None:
        return LoadedModel(net, None, None, "given", display, None)
    if os.path.isfile(checkpoint):
        try:
            net = copy.deepcopy(model)
            net.load_state_dict(_read_state_dict(checkpoint))
            return LoadedModel(
                net, True, checkpoint, "pretrained", display,
                weights_name or os.path.basename(checkpoint),
            )
        except Exception as exc:
            style.warn(tr_warn("warn_unreadable", lang, path=checkpoint, error=exc))
            return LoadedModel(model, False, checkpoint, "untrained_unreadable", display, weights_name)
    style.warn(tr_warn("warn_missing", lang, path=checkpoint, url=getattr(weights, "url", "?")))
    return LoadedModel(model, False, checkpoint, "untrained_missing", display, weights_name)


def tr_warn(key: str, lang: str, **fmt: Any) -> str:
    return style.tr(key, lang, **fmt)


def find_first_conv(net) -> tuple[str, Any]:
    """(qualified name, module) of the first ``nn.Conv2d`` in module order."""
    import torch.nn as nn

    for qname, module in net.named_modules():
        if isinstance(module, nn.Conv2d):
            return qname, module
    raise ValueError(f"{type(net).__name__} has no nn.Conv2d")


def load_first_conv(
    model: Any = "resnet50",
    weights: Any = "DEFAULT",
    *,
    checkpoint: str | os.PathLike | None = None,
    lang: str = "fr",
) -> FirstConv:
    """First ``nn.Conv2d`` of ``model`` with weights loaded as in :func:`load_model`."""
    loaded = load_model(model, weights, checkpoint=checkpoint, lang=lang)
    layer, conv = find_first_conv(loaded.model)
    return FirstConv(conv, loaded.pretrained, loaded.checkpoint, layer, loaded)


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
    return best[1], best[2]


def diverging_cmap():
    """teal (negative) - white (0) - accent (positive)."""
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list(
        "deck_diverging", [style.TEAL, "#bfe0e3", "#ffffff", "#f7c3b3", style.ACCENT]
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


def draw_provenance(fig, loaded: LoadedModel, lang: str, *, y: float = 0.005) -> str:
    """Bottom-left note on the weights; a visible warning box when untrained."""
    label = style.provenance_label(loaded.status, lang, loaded.weights_name)
    if loaded.status.startswith("untrained"):
        fig.text(
            0.01, y, "⚠ " + label, ha="left", va="bottom", fontsize=style.FONT["text"],
            color=style.WHITE, fontweight="bold",
            bbox=dict(boxstyle="round,pad=0.35", fc=style.ACCENT, ec="none"),
        )
    else:
        fig.text(0.01, y, label, ha="left", va="bottom", fontsize=style.FONT["small"],
                 color=style.GREY)
    return label


def first_conv_kernels(
    model: Any = "resnet50",
    *,
    weights: Any = "DEFAULT",
    mode: str = "first_channel",
    lang: str = "fr",
    max_kernels: int = 64,
    checkpoint: str | os.PathLike | None = None,
) -> style.SVGFigure:
    """Grid of the kernels of the first ``nn.Conv2d`` of ``model``.

    ``mode="first_channel"``: first input channel of each kernel, one shared
    diverging colour scale (0 is white) with a colour bar.
    ``mode="rgb"``: the three input channels as an RGB image, normalised with
    the min/max of the whole weight tensor (needs 3 input channels).
    """
    import numpy as np

    style.check_lang(lang)
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
    with style.theme():
        fig = style.new_figure(8.0, 3.9)
        top = 0.80
        bottom = 0.13
        if mode == "first_channel":
            ax = fig.add_axes((0.01, bottom, 0.86, top - bottom))
            cax = fig.add_axes((0.89, bottom + 0.04, 0.022, top - bottom - 0.08))
            tiles = drawn[:, 0].numpy()
            vmax = float(np.abs(tiles).max()) or 1.0
            mosaic = style.upsample(_mosaic(tiles, rows, cols, gap=1, fill=np.nan), _UPSAMPLE)
            cmap = diverging_cmap().with_extremes(bad=_GAP_COLOUR)
            im = ax.imshow(mosaic, cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="none")
            cb = fig.colorbar(im, cax=cax)
            cb.outline.set_visible(False)
            cb.ax.yaxis.set_major_formatter(style.number_formatter(lang))
            cb.ax.tick_params(labelsize=style.FONT["small"], length=3)
            cb.set_label(style.tr("kernels_cbar", lang, c=channel_name), fontsize=style.FONT["small"])
            scale = {"vmin": -vmax, "vmax": vmax}
            value_range = [float(tiles.min()), float(tiles.max())]
        else:
            ax = fig.add_axes((0.01, bottom, 0.98, top - bottom))
            lo, hi = float(w.min()), float(w.max())
            tiles = ((drawn - lo) / ((hi - lo) or 1.0)).permute(0, 2, 3, 1).numpy()
            from matplotlib.colors import to_rgb

            mosaic = _mosaic(tiles, rows, cols, gap=1, fill=np.nan)
            mosaic = np.where(np.isnan(mosaic), np.array(to_rgb(_GAP_COLOUR)), mosaic)
            ax.imshow(style.upsample(mosaic, _UPSAMPLE), interpolation="none")
            scale = {"min": lo, "max": hi}
            value_range = [lo, hi]
        ax.set_axis_off()

        fig.text(0.01, 0.985, style.tr("kernels_title", lang, model=loaded.name),
                 ha="left", va="top", fontsize=style.FONT["title"], fontweight="bold")
        sub = style.tr("kernels_sub", lang, layer=fc.layer, n=out_ch, kh=kh, kw=kw, c=in_ch)
        if n < out_ch:
            sub += " — " + style.tr("kernels_shown", lang, shown=n, total=out_ch)
        sub += " — " + (style.tr("mode_first_channel", lang) if mode == "first_channel"
                        else style.tr("kernels_rgb", lang))
        fig.text(0.01, 0.885, sub, ha="left", va="top", fontsize=style.FONT["small"],
                 color=style.GREY)
        label = draw_provenance(fig, loaded, lang)

        alt = style.tr("kernels_alt", lang, n=n, kh=kh, kw=kw, model=loaded.name,
                       mode=style.tr("mode_" + mode, lang), weights=label)
        data = {
            "model": model if isinstance(model, str) else type(model).__name__,
            "layer": fc.layer,
            "mode": mode,
            "pretrained": fc.pretrained,
            "status": loaded.status,
            "provenance": label,
            "checkpoint": fc.checkpoint,
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
        return style.finish(fig, alt=alt, data=data)


def _cache_inputs(model="resnet50", *, weights="DEFAULT", checkpoint=None, **_):
    """Checkpoint files the figure depends on (used by :mod:`figures.cache`)."""
    path = expected_checkpoint(model, weights, checkpoint)
    return [path] if path else []


first_conv_kernels.cache_inputs = _cache_inputs
