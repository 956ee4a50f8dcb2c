"""Verifying what a slide writes against what the code computes, and collecting the verdicts.

Claims are written in three places (a result comment in code, the line under a `>>>` statement, a
prose `{py} expr => value`) and an expected error (`#| raises:`) is one too; each goes through
`verify`, so that every claim is recorded, compared the same way, and reported with the same words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import ClaimError, DeckError, Location
from ..shared.values import is_tensor
from .compare import holds, kind_of, why_false
from .forms import true_as_written
from .grammar import Sequence, read_value, remark_with_numbers


class Checked(tuple):
    """One claim checked: (location, written), and `kind`, the kind of quantity it is about
    (`count`, `bytes`, ... or "")."""

    kind: str

    def __new__(cls, location: Location, written: str, kind: str = ""):
        claim = super().__new__(cls, (location, written))
        claim.kind = kind
        return claim

    def __getnewargs__(self):  # pickled into a build process's report
        return (self[0], self[1], self.kind)


@dataclass
class Problems:
    """False claims and (when collecting, as check mode does) other errors, and every claim checked."""

    collect_errors: bool = False
    items: list[DeckError] = field(default_factory=list)
    claims: list[Checked] = field(default_factory=list)  # every written value checked
    # what each claim was checked against, when a cache keeps it to verify the claim again next time
    # (execute/cached.py; None: not kept): (location, "value", written, value, shown, lang, subject)
    # or (location, "raises", raises, raised)
    values: list[tuple] | None = None

    def checked(self, location: Location, written: str, kind: str | None = None) -> None:
        self.claims.append(Checked(location, written, kind or ""))

    def add(self, error: DeckError) -> None:
        """A false claim is always collected (the build goes on to find the others); another
        error stops the build unless errors are being collected."""
        if isinstance(error, ClaimError) or self.collect_errors:
            self.items.append(error)
        else:
            raise error


def verify(written: str, value, shown: str, lang: str, location: Location, problems: Problems,
           subject: str) -> bool:
    """Record the claim `written` about `value` (shown as `shown`); add a ClaimError if it is false.

    `subject` names what gives the value in the message: "this line gives", "`lr` is".
    """
    problems.checked(location, written, kind_of(value) or claim_kind(written, lang))
    if problems.values is not None:
        problems.values.append((location, "value", written, value, shown, lang, subject))
    if holds(written, value, lang, shown):
        return True
    if is_tensor(value) and value.device.type == "meta":
        # `#| meta: true`: a tensor of shapes only; no value to write, so --fix leaves the claim alone
        problems.add(ClaimError(f"claim cannot hold: {subject} a tensor on the meta device (`meta: true`), which has "
                                f"a shape but no values to check `{written}` against: run the cell without "
                                "`meta: true`, or claim its shape (`shape(t)`)", location,
                                detail=f"    written: {written}\n    true:    {shown}", written=written))
        return False
    why = why_false(written, value, lang)
    true = true_as_written(written, value, shown, lang)
    # `102 MB (97.7 MiB)`: the true value in the claim's unit too, when that is another unit
    said = shown if why or not _words(true) or _words(true) == _words(shown) else f"{shown} ({true})"
    if isinstance(read_value(written.strip(), lang), Sequence):
        said = true  # `16 → 32 → 64`, not a Python list
    problems.add(ClaimError(f"claim is false: {subject} {said}, not {written}" + (f": {why}" if why else ""), location,
                            detail=f"    written: {written}\n    true:    {said}", written=written,
                            true=fix_text(written, value, true, shown, lang)))
    return False


def fix_text(written: str, value, true: str, shown: str, lang: str) -> str | None:
    """What `--fix` writes in place of the false claim `written`: the true value in the written form
    (its unit, precision, separators, formula), checked here, where the value is known, since a form
    made from a rounded text can be false again (`33.6 GB` of 33.6 MB rescaled from `0.03 GB` gave
    `30.0 MB`; `2,099,712 MB` of a count kept its `MB`); else the value as deck shows it; None when
    no text holds, and `--fix` then leaves the claim to the lecturer, saying so."""
    from .fix import in_written_form

    if remark_with_numbers(written, lang):
        return None  # the value and words with a number: only the lecturer knows what the number says

    def spaced(text: str) -> str:  # the written spaces: a no-break space only where the lecturer typed one
        text = text.replace("\u202f", " ")
        return text if "\u00a0" in written else text.replace("\u00a0", " ")

    for text in dict.fromkeys((true, shown)):  # each made only when the one before does not hold
        candidate = in_written_form(written, spaced(text))
        if holds(candidate, value, lang, shown):
            return candidate
    return spaced(shown) if holds(spaced(shown), value, lang, shown) else None


def _words(text: str) -> str:
    """A value's text without its digits and separators: its unit (`MB`), to compare two spellings."""
    return re.sub(r"[\d\s\u00a0\u202f.,~≈]+", " ", text).strip()


def claim_kind(written: str, lang: str) -> str:
    """The kind of quantity a claim's unit states (`MB`: bytes), when the value has none deck knows."""
    claim = read_value(written.strip(), lang)
    return getattr(claim, "kind", None) or ""


def verify_expected_error(raises: str, raised: BaseException | None, location: Location,
                          problems: Problems) -> bool:
    """`#| raises: Name[: fragment]`: the cell must raise that exception, with that fragment."""
    name, _, fragment = raises.partition(":")
    name, fragment = name.strip(), fragment.strip()
    problems.checked(location, raises)
    if problems.values is not None:
        problems.values.append((location, "raises", raises, raised))
    if raised is None:
        problems.add(ClaimError(f"cell was expected to raise {name} but ran without error", location))
        return False
    names = {k.__name__ for k in type(raised).__mro__}
    if name not in names or fragment not in str(raised):
        want = f"{name}" + (f" with {fragment!r}" if fragment else "")
        problems.add(ClaimError(f"cell was expected to raise {want}, but raised {type(raised).__name__}: {raised}",
                                location))
        return False
    return True
