"""The lecturer's own matplotlib figures, made to follow the deck before they are written as SVG:
the deck's language on every axis (decimal comma in French), its frame and colours where the figure
kept matplotlib's defaults, and the same legibility check as deck's own figures (a warning, at the
cell, for text under 2.8 % of the slide's height once the figure is scaled to a slide).

Only what the lecturer left at matplotlib's defaults is changed: a colour or a tick formatter set
in the cell is theirs and stays.
"""
from __future__ import annotations

from .labels import resolve_lang, tr
from .legibility import MIN_TEXT_PX, SLIDE_HEIGHT_PX, rendered_px
from .number_format import fmt_number, number_formatter
from .output import drawn_texts, warn
from .palette import CYCLE, GREY, NAVY


def format_percent(value: float, lang: str) -> str:
    """``0.028`` -> "2,8 %" (French puts a narrow space before the sign) or "2.8%"."""
    return fmt_number(round(100 * value, 1), lang) + ("\u202f%" if lang == "fr" else "%")


#: matplotlib's default colour cycle ("C0", "C1"...): a line in one of them took the default
_MPL_CYCLE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
              "#bcbd22", "#17becf")


def _raise_default_sizes(fig) -> None:
    """Text left at matplotlib's default size grows to what reads from the back row once the figure
    is scaled to a slide (:func:`figures.legibility.min_font_for`); a size the cell set stays (and
    :func:`check_legible` tells the lecturer if it is too small)."""
    import matplotlib
    from matplotlib.font_manager import FontProperties

    from .legibility import min_font_for

    width, height = fig.get_size_inches()
    need = min_font_for(width * 72, height * 72, margin=1.05)
    defaults = {round(FontProperties(size=matplotlib.rcParams[key]).get_size_in_points(), 2)
                for key in ("font.size", "xtick.labelsize", "ytick.labelsize", "axes.labelsize", "legend.fontsize")}
    for text in drawn_texts(fig):
        if round(float(text.get_fontsize()), 2) in defaults and text.get_fontsize() < need:
            text.set_fontsize(need)
    for ax in fig.axes:  # ticks made at draw time take the axis' own size
        for axis in (ax.xaxis, ax.yaxis):
            size = axis.get_ticklabels()[0].get_fontsize() if axis.get_ticklabels() else None
            if size is not None and round(float(size), 2) in defaults and size < need:
                axis.set_tick_params(labelsize=need)


def follow_deck(fig, lang: str) -> None:
    """Restyle ``fig`` in place: numbers in ``lang``, the deck's frame, palette and text sizes for
    what kept matplotlib's defaults."""
    from matplotlib.colors import to_hex
    from matplotlib.ticker import ScalarFormatter

    _raise_default_sizes(fig)

    deck_colour = {mpl: deck for mpl, deck in zip(_MPL_CYCLE, CYCLE)}
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            # exactly matplotlib's default formatter (not a subclass the lecturer chose)
            if type(axis.get_major_formatter()) is ScalarFormatter:
                axis.set_major_formatter(number_formatter(lang))
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for spine in ax.spines.values():
            spine.set_edgecolor(GREY)
        ax.tick_params(colors=GREY, labelcolor=NAVY)
        ax.xaxis.label.set_color(NAVY)
        ax.yaxis.label.set_color(NAVY)
        ax.title.set_color(NAVY)
        for line in ax.get_lines():
            colour = to_hex(line.get_color())
            if colour in deck_colour:
                line.set_color(deck_colour[colour])
        for patch in ax.patches:
            colour = to_hex(patch.get_facecolor(), keep_alpha=False)
            if colour in deck_colour:
                patch.set_facecolor(deck_colour[colour])


def check_legible(fig, svg: str) -> float:
    """Warn (for the lecturer, at the cell) when the smallest text of the figure, once scaled to a
    slide, is under the back row's 2.8 %; returns its height in slide pixels (inf: no text)."""
    sizes = [float(t.get_fontsize()) for t in drawn_texts(fig)]
    if not sizes:
        return float("inf")
    px = rendered_px(min(sizes), svg)
    if px < MIN_TEXT_PX:
        lang = resolve_lang(None)
        small = sorted({t.get_text() for t in drawn_texts(fig) if float(t.get_fontsize()) == min(sizes)})
        warn(tr("warn_small_text", lang, texts=", ".join(repr(s) for s in small[:3]),
                px=fmt_number(round(px, 1), lang), pct=format_percent(px / SLIDE_HEIGHT_PX, lang),
                min=format_percent(MIN_TEXT_PX / SLIDE_HEIGHT_PX, lang)))
    return px
