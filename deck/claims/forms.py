"""The true value of a false claim, written in the claim's own form, for its message and `--fix`.

A lecturer who wrote `2,1 Mo` means megabytes: the true value goes in megabytes at the written
precision (`0,4 Mo`), not in the unit deck would have chosen (`397 ko`); `97.5 MiB` of 102.4 MB
becomes `97.7 MiB`, `0.44 GFLOPs` `0.46 GFLOPs`; a sequence `33 280 → 99 328 → 329 782` keeps its
arrows and its right parts (`… → 329 728`), never a Python list. When the claim's unit cannot be
said of the value (multiply-adds written in FLOPs), or the written precision would say nothing
(`0 Go`), the value is written as deck shows it.
"""
from __future__ import annotations

import math
import re

from .compare import holds, kind_conflict, kind_of, number_of, sequence_of
from .grammar import Number, Sequence, read_unit, read_value


def true_as_written(written: str, value, shown: str, lang: str) -> str:
    """`value` in the form of the false claim `written`, else `shown` (how deck prints it)."""
    claim = read_value(written.strip(), lang)
    if isinstance(claim, Sequence):
        return _sequence(claim, value, lang) or shown
    if isinstance(claim, Number) and claim.unit and not kind_conflict(claim, value):
        return in_unit(written.strip(), claim, value, lang) or shown
    if isinstance(claim, Number) and {claim.kind, kind_of(value)} == {"macs", "flops"}:
        return _other_operation(written.strip(), claim, value, lang) or shown
    return shown


def _other_operation(written: str, claim: Number, value, lang: str) -> str | None:
    """Multiply-adds written in FLOPs (or FLOPs in MACs): the right unit word, with the written
    prefix and precision: `4.1 GFLOPs` of 4.09 GMACs is `4.1 GMACs`."""
    swap = {"FLOP": "MAC", "MAC": "FLOP", "flop": "mac", "mac": "flop"}
    word = re.compile(r"FLOP|MAC|flop|mac")
    unit = word.sub(lambda m: swap[m.group()], claim.unit, count=1)
    at = written.rfind(claim.unit)
    if at < 0 or unit == claim.unit:
        return None
    candidate = written[:at] + unit + written[at + len(claim.unit):]
    reread = read_value(candidate, lang)
    return in_unit(candidate, reread, value, lang) if isinstance(reread, Number) else None


def _sequence(claim: Sequence, value, lang: str) -> str | None:
    items = sequence_of(value)
    if items is None:
        return None
    if len(items) != len(claim.parts):  # not as many: the items as deck writes numbers, same arrows
        written = [_as_deck_writes(item, lang) for item in items]
        return None if None in written else claim.arrows[0].join(t for t in written if t is not None)
    texts: list[str] = []
    for text, item in zip(claim.texts, items):
        if holds(text, item, lang):
            texts.append(text)  # a right part stays as it is written
            continue
        number = number_of(item)
        part = read_value(text, lang)
        fixed = in_unit(text, part, item, lang) if isinstance(part, Number) and number is not None else None
        fixed = fixed or _as_deck_writes(item, lang)  # a shape, a receptive field: as deck writes it
        if fixed is None:
            return None
        texts.append(fixed)
    out = texts[0]
    for arrow, text in zip(claim.arrows, texts[1:]):
        out += arrow + text
    return out


def _as_deck_writes(item, lang: str) -> str | None:
    """An item of a sequence as deck writes it on a slide: a number in the deck's language, a value
    with its own text (a shape, a receptive field, a memory); None for anything else."""
    from ..shared.locale import format_number

    if hasattr(item, "_deck_text_"):
        return str(item._deck_text_())
    number = number_of(item)
    if number is not None and isinstance(item, (int, float)):
        return format_number(item, lang)
    return None


def in_unit(written: str, claim: Number, value, lang: str) -> str | None:
    """`written` with its number replaced by `value` expressed in the written unit (its scale: `Mo`,
    `GFLOPs`, `M weights`), at the written precision; None if that does not hold or reads as 0."""
    from .fix import _APPROX, _NUMBER, _at_precision

    number = number_of(value)
    unit = read_unit(claim.unit)
    if number is None or unit is None or not math.isfinite(number):
        return None
    approx = _APPROX.match(written)
    w = _NUMBER.match(written, approx.end() if approx else 0)
    if w is None or claim.percent:
        return None
    scaled = number / unit.scale
    # in the written precision, else in the written significant digits (`350 Mo` for 346 ko: `0,35 Mo`,
    # not `0,3 Mo`), else with more decimals, so that the claim holds and says something (`0,4 Mo` for
    # 397 ko; `2 Go` of 397 ko becomes `0,0004 Go` rather than `0 Go`)
    mark, group, places = _separators(w.group(), lang)
    numbers = [_at_precision(w.group(), scaled), _format(scaled, places, mark, group)]
    significant = len(re.sub(r"\D", "", w.group()).lstrip("0").rstrip("0"))
    if scaled and significant and scaled != int(scaled):
        numbers.insert(1, _format(scaled, max(places, significant - 1 - math.floor(math.log10(abs(scaled)))),
                                  mark, group))
    if scaled != int(scaled):  # a whole number (of weights: `290 000 weights`) never gets decimals
        numbers += [_format(scaled, places + extra, mark, group) for extra in range(1, 6)]
    for text in numbers:
        candidate = written[:w.start()] + text + written[w.end():]
        reread = read_value(candidate, lang)
        if isinstance(reread, Number) and reread.value and holds(candidate, value, lang):
            return candidate
    return None


def _separators(number: str, lang: str) -> tuple[str, str, int]:
    """(decimal mark, group separator, decimals) of a written number: `2,1` (fr) is (`,`, ``, 1),
    `524,800` (en) (`.`, `,`, 0), `33 280` (`,` in French, ` `, 0)."""
    group = next((c for c in (",", "\u202f", "\u00a0", " ") if re.search(rf"\d{c}\d{{3}}(?!\d)", number)), "")
    if group == "," and lang == "fr":
        group = ""  # `2,125` in French: a decimal comma
    mark = next((c for c in (".", ",") if c != group and re.search(rf"\d{re.escape(c)}\d+$", number)), "")
    places = len(number) - number.rindex(mark) - 1 if mark else 0
    return mark or ("," if lang == "fr" else "."), group, places


def _format(value: float, places: int, mark: str, group: str) -> str:
    text = f"{value:,.{places}f}"
    return text.replace(",", "\0").replace(".", mark).replace("\0", group)
