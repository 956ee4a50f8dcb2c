"""Numbers and dates as a lecture shows them, in the deck's language (Babel's CLDR data does the work)."""
from __future__ import annotations

import contextvars
import datetime as dt
import math

LOCALES = {"fr": "fr_FR", "en": "en_US"}
# The deck language of the cells being executed; helpers format their values in it.
current_lang: contextvars.ContextVar[str] = contextvars.ContextVar("deck_lang", default="en")

# Large-number suffixes as lecturers write them (fr: "Md" for milliard).
SUFFIXES = {"fr": [(1e9, "Md"), (1e6, "M"), (1e3, "k")], "en": [(1e9, "B"), (1e6, "M"), (1e3, "k")]}
BYTE_UNITS = {"fr": ["o", "ko", "Mo", "Go", "To"], "en": ["B", "kB", "MB", "GB", "TB"]}


LANGS = tuple(LOCALES)


def locale_of(lang: str | None = None) -> str:
    return LOCALES.get(lang or current_lang.get(), "en_US")


def format_number(value: int | float, lang: str | None = None, digits: int | None = None) -> str:
    """524800 -> '524 800' (fr, narrow no-break space) or '524,800' (en)."""
    from babel.numbers import format_decimal

    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and digits is None
                                  and abs(value) < 1e15):
        return format_decimal(int(value), locale=locale_of(lang), group_separator=True)
    if digits is None:
        digits = 4
    pattern = "#,##0." + "#" * max(digits, 1)
    return format_decimal(round_significant(value, digits), format=pattern, locale=locale_of(lang))


def round_significant(value: float, digits: int) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


def format_approx(value: float, digits: int = 2, unit: str = "", lang: str | None = None) -> str:
    """251658240 -> '~ 250 M' with two significant digits and the language's suffix."""
    lang = lang or current_lang.get()
    rounded = round_significant(float(value), digits)
    suffix = ""
    for factor, name in SUFFIXES.get(lang, SUFFIXES["en"]):
        if abs(rounded) >= factor:
            rounded, suffix = rounded / factor, name
            break
    text = format_number(round_significant(rounded, digits), lang, digits)
    tail = f"\u00a0{suffix}{unit}" if (suffix or unit) else ""
    return f"~\u00a0{text}{tail}"


def format_bytes(n: int, lang: str | None = None, digits: int = 3) -> str:
    """1006632960 -> '1,01 Go' (fr) / '1.01 GB' (en); decimal (SI) units."""
    lang = lang or current_lang.get()
    units = BYTE_UNITS.get(lang, BYTE_UNITS["en"])
    value, i = float(n), 0
    while abs(value) >= 1000 and i < len(units) - 1:
        value, i = value / 1000, i + 1
    return f"{format_number(round_significant(value, digits), lang, digits)}\u00a0{units[i]}"


def format_date(value, lang: str) -> str:
    """A front-matter date as the deck's language writes it: 25/10/2024 (fr), October 25, 2024 (en)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    from babel.dates import format_date as babel_date

    return babel_date(value, "dd/MM/yyyy" if lang == "fr" else "MMMM d, yyyy", locale=locale_of(lang))
