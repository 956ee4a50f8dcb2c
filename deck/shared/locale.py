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


# Display conventions, the same in both languages:
# - integers below 10 000 are not grouped (years, 1024), larger ones are (10 000 / 10,000);
# - a float keeps all its integer digits and shows 4 significant digits at least (123 457, 2,303);
# - a float below 0.001 (or from 10^15) is written in scientific notation, never rounded to 0:
#   `2,5 × 10⁻⁴` in prose, `2.5e-4` in code;
# - in code (result comments, code expressions) the decimal separator is a point in every
#   language, as Python writes it; in French prose it is a comma.
GROUP_FROM = 10_000
SCIENTIFIC_BELOW, SCIENTIFIC_FROM = 1e-3, 1e15
SIGNIFICANT = 4
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def format_number(value: int | float, lang: str | None = None, digits: int | None = None,
                  in_code: bool = False) -> str:
    """524800 -> '524 800' (fr, narrow no-break space) or '524,800' (en); 2.302585 -> '2,303' (fr
    prose) or '2.303' (code); 1e-05 -> '1 × 10⁻⁵' (prose) or '1e-5' (code). `digits`: significant."""
    from babel.numbers import format_decimal

    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return str(value)
    locale = locale_of(lang)
    grouped = abs(value) >= GROUP_FROM
    if isinstance(value, int) or (value.is_integer() and digits is None and abs(value) < SCIENTIFIC_FROM):
        return format_decimal(int(value), locale=locale, group_separator=grouped)
    if value == 0:  # 0.0 B: no digits to count (an optimizer before its first step holds nothing)
        return format_decimal(0, locale=locale)
    if not SCIENTIFIC_BELOW <= abs(value) < SCIENTIFIC_FROM:
        return _scientific(value, digits or SIGNIFICANT, lang, in_code)
    whole = len(str(int(abs(value)))) if abs(value) >= 1 else 0
    significant = max(digits or SIGNIFICANT, whole)
    decimals = significant - whole if whole else significant - 1 - int(math.floor(math.log10(abs(value))))
    pattern = ("#,##0" if grouped else "0") + ("." + "#" * decimals if decimals > 0 else "")
    text = format_decimal(round_significant(value, significant), format=pattern, locale=locale)
    return _code_decimal(text, locale) if in_code else text


def _scientific(value: float, digits: int, lang: str | None, in_code: bool) -> str:
    exponent = int(math.floor(math.log10(abs(value))))
    mantissa = round(value / 10 ** exponent, digits - 1)
    if abs(mantissa) >= 10:  # 9.9996e-5 rounds up to 10e-5
        mantissa, exponent = mantissa / 10, exponent + 1
    m = f"{mantissa:.{digits - 1}f}".rstrip("0").rstrip(".")
    if in_code:
        return f"{m}e{exponent}"
    if (lang or current_lang.get()) == "fr":
        m = m.replace(".", ",")
    return f"{m} × 10{str(exponent).translate(SUPERSCRIPT)}"


def _code_decimal(text: str, locale: str) -> str:
    """The number with a decimal point, as code writes it (fr prose uses a comma)."""
    from babel.numbers import get_decimal_symbol

    symbol = get_decimal_symbol(locale)
    return text.replace(symbol, ".") if symbol != "." else text


def round_significant(value: float, digits: int) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


def format_approx(value: float, digits: int = 2, unit: str = "", lang: str | None = None,
                  in_code: bool = False) -> str:
    """251658240 -> '~ 250 M' with two significant digits and the language's suffix."""
    lang = lang or current_lang.get()
    rounded = round_significant(float(value), digits)
    suffix = ""
    for factor, name in SUFFIXES.get(lang, SUFFIXES["en"]):
        if abs(rounded) >= factor:
            rounded, suffix = rounded / factor, name
            break
    text = format_number(round_significant(rounded, digits), lang, digits, in_code)
    tail = f"\u00a0{suffix}{unit}" if (suffix or unit) else ""
    return f"~\u00a0{text}{tail}"


def format_bytes(n: int, lang: str | None = None, digits: int = 3, in_code: bool = False) -> str:
    """1006632960 -> '1,01 Go' (fr) / '1.01 GB' (en); decimal (SI) units."""
    lang = lang or current_lang.get()
    units = BYTE_UNITS.get(lang, BYTE_UNITS["en"])
    value, i = float(n), 0
    while abs(value) >= 1000 and i < len(units) - 1:
        value, i = value / 1000, i + 1
    return f"{format_number(round_significant(value, digits), lang, digits, in_code)}\u00a0{units[i]}"


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
