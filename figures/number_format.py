"""Numbers drawn on figures, in the deck's language: deck.shared.locale's formatting (Babel's CLDR
data), with the typographic minus matplotlib draws on its axes, so that a value in a grid cell and
the same value on a tick read alike."""

from __future__ import annotations

from deck.shared.locale import format_number, locale_of

from .labels import check_lang

MINUS = "\u2212"


def fmt_number(value: float, lang: str, decimals: int | None = None) -> str:
    """Number in the deck language (fr: ``0,66`` and ``11 689 512`` with U+202F).

    ``decimals=None``: deck's own formatting (:func:`deck.shared.locale.format_number`);
    otherwise exactly ``decimals`` digits after the separator (probabilities on bars: ``0,10``).
    """
    check_lang(lang)
    if decimals is None:
        text = format_number(value, lang)
    else:
        # a fixed number of decimals is a figure's need (aligned bar labels), which format_number
        # (significant digits, trailing zeros dropped) does not offer: same locale, fixed pattern
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
        text = format_decimal(value, format=pattern, locale=locale_of(lang))
    return text.replace("-", MINUS)


def number_formatter(lang: str):
    """matplotlib tick formatter writing numbers in the deck language: matplotlib's automatic choice
    of decimals (and its typographic minus), with the language's decimal symbol."""
    from babel.numbers import get_decimal_symbol
    from matplotlib.ticker import ScalarFormatter

    decimal = get_decimal_symbol(locale_of(check_lang(lang)))

    class _Formatter(ScalarFormatter):
        def __call__(self, x, pos=None):
            text = super().__call__(x, pos)
            return text.replace(".", decimal) if decimal != "." else text

    return _Formatter(useOffset=False)
