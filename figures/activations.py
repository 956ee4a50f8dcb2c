"""Activation functions and softmax, computed by torch (never hand-drawn)."""

from __future__ import annotations

import math
from typing import Sequence, cast

from .labels import resolve_lang, tr
from .number_format import fmt_number, number_formatter
from .output import SVGFigure, finish, new_figure
from .palette import CYCLE, GREY, MUTED, NAVY, legible_fonts, theme

#: slope used for leaky ReLU (torch's default 0.01 is invisible on a slide)
LEAKY_SLOPE = 0.1
ELU_ALPHA = 1.0

#: name -> (display name, formula in mathtext)
_DISPLAY = {
    "relu": ("ReLU", r"$\max(0,\,x)$"),
    "softplus": ("Softplus", r"$\ln(1+e^{x})$"),
    "leaky_relu": ("Leaky ReLU", r"$\max(\alpha x,\,x)$"),
    "elu": ("ELU", {"fr": "$x$ si $x>0$\n" r"$\alpha(e^{x}-1)$ sinon",
                    "en": "$x$ if $x>0$\n" r"$\alpha(e^{x}-1)$ otherwise"}),
    "sigmoid": ("Sigmoïde", r"$1/(1+e^{-x})$"),
    "tanh": ("tanh", r"$\tanh(x)$"),
    "gelu": ("GELU", r"$x\,\Phi(x)$"),
    "silu": ("SiLU", r"$x\,\sigma(x)$"),
}
_DISPLAY_EN = {"sigmoid": "Sigmoid"}

SUPPORTED = tuple(_DISPLAY)


def activation(name: str):
    """The torch function for ``name`` (a callable tensor -> tensor)."""
    import torch.nn.functional as F

    table = {
        "relu": F.relu,
        "softplus": F.softplus,
        "leaky_relu": lambda x: F.leaky_relu(x, negative_slope=LEAKY_SLOPE),
        "elu": lambda x: F.elu(x, alpha=ELU_ALPHA),
        "sigmoid": F.sigmoid,
        "tanh": F.tanh,
        "gelu": F.gelu,
        "silu": F.silu,
    }
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; supported: {SUPPORTED}") from None


def display_name(name: str, lang: str) -> str:
    if lang == "en" and name in _DISPLAY_EN:
        return _DISPLAY_EN[name]
    return _DISPLAY[name][0]


def _param_note(name: str, lang: str) -> str:
    if name == "leaky_relu":
        return f"α = {fmt_number(LEAKY_SLOPE, lang)}"
    if name == "elu":
        return f"α = {fmt_number(ELU_ALPHA, lang)}"
    return ""


#: abscissas at which the values are recorded in ``data["samples"]``
SAMPLE_X = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0)


def activation_curves(
    names: Sequence[str] = ("relu", "softplus", "leaky_relu", "elu"),
    *,
    lang: str | None = None,
    x_range: tuple[float, float] = (-4, 4),
    n_points: int = 401,
    ncols: int | None = None,
) -> SVGFigure:
    """One small panel per activation (same axes everywhere), curve computed by
    ``torch.nn.functional`` on ``n_points`` abscissas of ``x_range``.

    ``ncols=None``: 2×2 panels for four functions (fits a half-slide column),
    one row for up to three, rows of three beyond four."""
    import torch
    from matplotlib.ticker import MaxNLocator

    lang = resolve_lang(lang)
    names = tuple(names)
    if not names:
        raise ValueError("names must not be empty")
    funcs = [activation(n) for n in names]
    x0, x1 = float(x_range[0]), float(x_range[1])
    if not x0 < x1:
        raise ValueError("x_range must be increasing")

    x = torch.linspace(x0, x1, n_points, dtype=torch.float64)
    ys = [f(x) for f in funcs]
    xs_sample = torch.tensor(SAMPLE_X, dtype=torch.float64)
    samples = {n: [float(v) for v in f(xs_sample)] for n, f in zip(names, funcs)}
    ymin = min(float(y.min()) for y in ys)
    ymax = max(float(y.max()) for y in ys)
    pad = 0.08 * (ymax - ymin or 1.0)

    if ncols is None:
        ncols = len(names) if len(names) <= 3 else (2 if len(names) == 4 else 3)
    ncols = max(1, min(ncols, len(names)))
    nrows = math.ceil(len(names) / ncols)
    size = (2.3 * ncols + 0.3, 2.05 * nrows + 0.3)
    fonts = legible_fonts(*size)
    with theme(fonts):
        fig = new_figure(*size, layout="constrained")
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        for i, ax in enumerate(axes.flat):
            if i >= len(names):
                ax.set_visible(False)
                continue
            name, y = names[i], ys[i]
            ax.axhline(0, color=GREY, lw=0.8, zorder=1)
            ax.axvline(0, color=GREY, lw=0.8, zorder=1)
            ax.plot(x.numpy(), y.numpy(), color=CYCLE[i % 4], zorder=3)
            ax.set_xlim(x0, x1)
            ax.set_ylim(ymin - pad, ymax + pad)
            ax.grid(True, zorder=0)
            ax.set_title(display_name(name, lang), loc="left", fontsize=fonts["title"])
            note = cast("str | dict[str, str]", _DISPLAY[name][1])  # a text, or one per language
            if isinstance(note, dict):
                note = note[lang]
            extra = _param_note(name, lang)
            # under the curve (zorder 3): its light box keeps the grid off the formula without
            # cutting the curve where the two meet (ELU's, from the top left)
            ax.text(0.04, 0.96, note + (f"\n{extra}" if extra else ""), transform=ax.transAxes,
                    ha="left", va="top", fontsize=fonts["small"], color=NAVY, zorder=2.5,
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85))
            ax.xaxis.set_major_formatter(number_formatter(lang))
            ax.yaxis.set_major_formatter(number_formatter(lang))
            # few ticks: they are written large
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4, prune="both"))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
            if i + ncols >= len(names):  # no panel below
                ax.set_xlabel("x")

        names_txt = ", ".join(display_name(n, lang) for n in names)
        alt = tr("activations_alt", lang, names=names_txt,
                 x0=fmt_number(x0, lang), x1=fmt_number(x1, lang))
        data = {
            "names": list(names),
            "x_range": [x0, x1],
            "n_points": n_points,
            "y_range": [ymin, ymax],
            "sample_x": list(SAMPLE_X),
            "samples": samples,
            "leaky_slope": LEAKY_SLOPE,
            "elu_alpha": ELU_ALPHA,
        }
        return finish(fig, alt=alt, data=data)


def softmax_bars(
    values: Sequence[float] = (2.0, 1.0, 0.1),
    *,
    lang: str | None = None,
    class_names: Sequence[str] | None = None,
    decimals: int = 2,
) -> SVGFigure:
    """Logits (left) and their softmax probabilities (right), values written on
    the bars in the deck language (fr: decimal comma)."""
    import torch

    lang = resolve_lang(lang)
    z = torch.tensor([float(v) for v in values], dtype=torch.float64)
    if z.ndim != 1 or len(z) == 0:
        raise ValueError("values must be a non-empty sequence of numbers")
    p = torch.softmax(z, dim=0)
    k = len(z)
    if class_names is None:
        class_names = [f"{tr('softmax_class', lang)} {i + 1}" for i in range(k)]
    class_names = list(class_names)
    if len(class_names) != k:
        raise ValueError("class_names must have one name per value")

    z_txt = [fmt_number(float(v), lang, decimals) for v in z]
    p_txt = [fmt_number(float(v), lang, decimals) for v in p]
    colours = [CYCLE[i % 4] for i in range(k)]

    size = (max(7.0, 1.1 * k + 4.0), 3.5)
    fonts = legible_fonts(*size)
    with theme(fonts):
        fig = new_figure(*size, layout="constrained")
        ax_z, ax_p = fig.subplots(1, 2)
        pos = list(range(k))
        for ax, vals, texts, title in (
            (ax_z, z, z_txt, tr("softmax_logits", lang)),
            (ax_p, p, p_txt, tr("softmax_probs", lang)),
        ):
            bars = ax.bar(pos, vals.numpy(), color=colours, width=0.65, zorder=3)
            ax.axhline(0, color=GREY, lw=0.8, zorder=2)
            lo = min(0.0, float(vals.min()))
            hi = max(0.0, float(vals.max()))
            span = (hi - lo) or 1.0
            ax.set_ylim(lo - (0.15 * span if lo < 0 else 0), hi + 0.18 * span)
            for bar, v, t in zip(bars, vals, texts):
                v = float(v)
                y = v + 0.03 * span if v >= 0 else v - 0.03 * span
                ax.text(bar.get_x() + bar.get_width() / 2, y, t, ha="center",
                        va="bottom" if v >= 0 else "top", fontsize=fonts["text"],
                        fontweight="bold", color=NAVY)
            ax.set_xticks(pos, class_names)
            ax.yaxis.set_major_formatter(number_formatter(lang))
            ax.set_title(title, fontsize=fonts["title"])
            ax.grid(True, axis="y", zorder=0)
        total = fmt_number(float(p.sum()), lang, decimals)
        ax_p.text(0.98, 0.98, tr("softmax_sum", lang, s=total), transform=ax_p.transAxes,
                  ha="right", va="top", fontsize=fonts["small"], color=MUTED)
        ax_p.set_ylim(0, max(1.0, float(p.max()) * 1.2))

        sep = " ; " if lang == "fr" else ", "
        alt = tr("softmax_alt", lang, z=sep.join(z_txt), p=sep.join(p_txt))
        data = {
            "logits": [float(v) for v in z],
            "probs": [float(v) for v in p],
            "logit_labels": z_txt,
            "prob_labels": p_txt,
            "class_names": class_names,
        }
        return finish(fig, alt=alt, data=data)
