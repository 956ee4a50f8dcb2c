"""`--fix`: each false literal in the sources rewritten to its true value, nothing else touched.

Only files inside the project are written (through a symlink, the file it points to), with their
line endings and permissions kept. A claim written inside a Jinja `{% for %}` loop or a macro is
not fixed: one literal there stands for several values, so the message says where to change it.
"""
from __future__ import annotations

import difflib
import hashlib
import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..errors import ClaimError, DeckError, SourceError
from ..shared.files import display_path


@dataclass(frozen=True)
class Region:
    kind: str        # "for" | "macro" | "call"
    name: str
    first: int       # 1-based lines of its opening and closing tags
    last: int


def fix_sources(reports, project_root: Path, read: dict[Path, str] | None = None) -> tuple[str, int, list[DeckError]]:
    """Rewrite each false literal to its true value in the source; return (diff, fixed, unfixable).

    `read`: each source's digest when the check read it (shared.publish.sources_read); a file that
    differs now (saved while the check ran) is not edited. A file is written in place, through the
    file itself: its inode, owner, mode and hard links stay."""
    if read is None:
        from ..shared.publish import sources_read

        read = sources_read()
    root = project_root.resolve()
    by_file: dict[Path, list[ClaimError]] = defaultdict(list)
    unfixable: list[DeckError] = []
    # how many claims a deck makes of one text on one line (`{py} a => 8` twice): each is fixed, not
    # only the first; several decks including the file report the same claims, so the most of one deck
    times: dict[Path, dict[tuple[int, str], int]] = defaultdict(lambda: defaultdict(int))
    for r in reports:
        in_report: dict[tuple[Path, int, str], int] = defaultdict(int)
        for p in r.problems:
            if isinstance(p, ClaimError) and p.written and p.true and p.location:
                by_file[p.location.path.resolve()].append(p)
                in_report[(p.location.path.resolve(), p.location.line, p.written)] += 1
            elif isinstance(p, ClaimError):
                unfixable.append(p)
        for (path, line, written), n in in_report.items():
            times[path][(line, written)] = max(times[path][(line, written)], n)
    diff, fixed = [], 0
    for path, problems in sorted(by_file.items()):
        if not path.is_relative_to(root):
            unfixable.extend(_refused(p, f"{display_path(path)} is outside the project: not edited")
                             for p in problems)
            continue
        text, count, refused = _fix_file(path, problems, None if read is None else read.get(path, ""), times[path])
        unfixable.extend(refused)
        diff.extend(text)
        fixed += count
    return "".join(diff), fixed, unfixable


def _fix_file(path: Path, problems: list[ClaimError], digest: str | None,
              counts: dict[tuple[int, str], int]) -> tuple[list[str], int, list[DeckError]]:
    """One source's fixes, written in place: (diff lines, fixed, refused)."""
    try:
        fh = open(path, "r+b")  # noqa: SIM115 - kept open from the read to the write
    except OSError as exc:
        return [], 0, [_refused(p, f"{display_path(path)} cannot be written ({exc.strerror})") for p in problems]
    with fh:
        data = fh.read()
        if digest is not None and hashlib.sha256(data).hexdigest() != digest:
            return [], 0, [SourceError(f"{display_path(path)} changed since the check read it (saved while it ran?): "
                                       f"not edited; run --check --fix again", p.location) for p in problems[:1]]
        try:
            before = data.decode("utf-8")
        except UnicodeDecodeError:
            return [], 0, [_refused(p, f"{display_path(path)} is not UTF-8") for p in problems]
        lines = split_lines(before)
        fixed, refused = _apply(lines, problems, before, path, counts)
        after = "".join(lines)
        if after == before:
            return [], fixed, refused
        try:
            _write_in_place(fh.fileno(), data, after.encode("utf-8"))
        except OSError as exc:
            return [], 0, [_refused(p, f"{display_path(path)} cannot be written ({exc.strerror})") for p in problems]
    name = display_path(path)
    return list(difflib.unified_diff(split_lines(before), split_lines(after), name, name)), fixed, refused


def _write_in_place(fd: int, old: bytes, new: bytes) -> None:
    """`new` over `old` in the open file, never leaving a mix of the two when the disk is full: the
    part past the old end is written (and synced) first, so every block the file needs is taken
    before a byte of the old text changes; if that fails, the file is cut back to the old text.
    Unbuffered writes, so that a failed one is not tried again when the file is closed."""
    if len(new) > len(old):
        try:
            _pwrite_all(fd, new[len(old):], len(old))
            os.fsync(fd)
        except OSError:
            os.ftruncate(fd, len(old))  # a shrink needs no room: the old text, whole
            raise
    _pwrite_all(fd, new, 0)
    os.ftruncate(fd, len(new))
    os.fsync(fd)


def _pwrite_all(fd: int, data: bytes, at: int) -> None:
    while data:
        n = os.pwrite(fd, data, at)
        data, at = data[n:], at + n


def _claim(p: ClaimError) -> tuple[int, str, str]:
    """(line, written, true) of a claim: `fix` keeps only those that have all three."""
    assert p.location is not None and p.written is not None and p.true is not None
    return p.location.line, p.written, p.true


def _apply(lines: list[str], problems: list[ClaimError], before: str, path: Path,
           counts: dict[tuple[int, str], int]) -> tuple[int, list[DeckError]]:
    """Each claim's fix into `lines`, in place, `counts` times on its line; (fixed, refused)."""
    regions = jinja_regions(before)
    trues: dict[tuple[int, str], set[str]] = defaultdict(set)
    for p in problems:  # the same claim reported by several decks that include this file
        line, written, true = _claim(p)
        trues[(line, written)].add(true)
    fixed, done = 0, set()
    refused: list[DeckError] = []
    for p in sorted(problems, key=lambda p: _claim(p)[0]):
        line, written, true = _claim(p)
        key = (line, written)
        if key in done:
            continue
        done.add(key)
        if len(trues[key]) > 1:
            refused.append(_refused(p, "the decks that include this file give it different values ("
                                       + ", ".join(sorted(trues[key])) + "): write it with `{py} ...`"))
            continue
        region = next((g for g in regions if g.first <= line <= g.last), None)
        if region is not None:
            refused.append(_refused(p, _why_not(region, path)))
            continue
        i = line - 1
        body, ending = _split_ending(lines[i]) if 0 <= i < len(lines) else ("", "")
        # `true` is already in the written form, checked against the value (claims.verify.fix_text)
        start, done_here, copies = 0, 0, counts[key]  # every fixable claim of the file is counted
        for _ in range(copies):  # each copy after the one before, never the fixed one again
            at = claim_at(body, written, start) if body else None
            if at is None:
                break
            body = body[:at] + true + body[at + len(written):]
            start, done_here = at + len(true), done_here + 1
        if done_here < copies:
            refused.append(_refused(p, "the written value is not literally on this line "
                                       "(made by Jinja?): change it by hand"))
        if done_here:
            lines[i] = body + ending
            fixed += done_here
    return fixed, refused


def split_lines(text: str) -> list[str]:
    """Lines as the build counts them: ended by \\n only (U+2028, U+0085, a form feed or \\x1c in prose
    are characters of their line, as Jinja and the parser read them), each with its ending."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def in_written_form(written: str, true: str) -> str:
    """The true value as the lecturer wrote the false one, where that can be kept: a formula whose
    arithmetic holds keeps it (`3 × (64 × 72 + 128) = 14336` -> `... = 14208`); else the value alone."""
    from .grammar import Formula, read_value

    if "=" in written:
        value = true.rsplit("=", 1)[-1].strip()  # the true formula's result (`⌊…⌋ + 1 = 112`), not it whole
        candidate = f"{written.rsplit('=', 1)[0].rstrip()} = {value}"
        for lang in ("en", "fr"):  # the digits of `true` are written as the deck writes them
            claim = read_value(candidate, lang)
            if isinstance(claim, Formula) and all(claim.side_holds(claim.values[0], k) for k in range(len(claim.values))):
                return candidate
    square = _square_of(written, true)
    if square:
        return square
    wrapped = re.fullmatch(r"(\s*tensor\()(.*)(\)\s*)", written)
    if wrapped and not true.lstrip().startswith("tensor"):  # `tensor(2)` stays a tensor: `tensor(1)`
        return wrapped.group(1) + (keep_form(wrapped.group(2), true) or true) + wrapped.group(3)
    return keep_form(written, true) or true


_SQUARE = re.compile(r"(\s*)(\d+)(\s*[×x]\s*)(\d+)(\s*)")


def _square_of(written: str, true: str) -> str | None:
    """A square written as one (`12 × 12` for 121 tokens) stays one (`11 × 11`), in its spacing and
    sign; None when `written` is not a square or `true` is not the square of an integer (`1,21`, a
    French decimal, is 1.21, not 121)."""
    m, t = _SQUARE.fullmatch(written), _NUMBER.fullmatch(true.strip())
    if m is None or m[2] != m[4] or t is None:
        return None
    value = _as_float(t[0])
    if value < 0 or not value.is_integer():
        return None
    n = int(value)
    root = math.isqrt(n)
    return f"{m[1]}{root}{m[3]}{root}{m[5]}" if root * root == n else None


_APPROX = re.compile(r"(?:~|≈|about|environ|approx\.?)\s*", re.I)
_NUMBER = re.compile(r"[-+−]?(?:\d{1,3}(?:[,\u202f\u00a0 ]\d{3})+|\d+)(?:[.,]\d+)?(?:e[-+]?\d+)?")


def keep_form(written: str, true: str) -> str | None:
    """The written claim with its number replaced, all else kept: `~`, unit and scale words, remarks,
    spacing, separators (`# 102,464 weights` -> `# 36,928 weights`), at the written precision where
    the claim still holds (`~ 100` for 201 -> `~ 200`; `3.2 millions` for 4 738 560 -> `4.7 millions`).
    None when either is not a number with words around it, or no such claim holds."""
    approx = _APPROX.match(written)
    at = approx.end() if approx else 0
    w, t = _NUMBER.match(written, at), _NUMBER.match(true.strip())
    if w is None or t is None:
        return None
    if re.match(r"\s*[×x*·,/]\s*\d", written[w.end():]):
        return None  # `3 × 3`, `2, 3`: not one number
    tail = true.strip()[t.end():].strip()
    if tail and tail != written[w.end():].strip():
        return None  # the true value says its own unit: written as it is shown
    value = _as_float(t.group())
    # the number in the written separators and precision, else as shown; after a scale word or a
    # prefixed unit (`3.2 millions`, `~ 250 M`), the true value in that scale: the first that holds;
    # then the value in as many significant digits as written (`70,9 Mo` for 70 912 bytes: `0,0709 Mo`)
    scales = (1.0, 1e3, 1e6, 1e9, 1e12)
    numbers = [(_at_precision(w.group(), value), 1.0), (t.group(), 1.0)]
    numbers += [(_at_precision(w.group(), value / scale), scale) for scale in scales[1:]]
    numbers += [(n, scale) for scale in scales if (n := _at_significance(w.group(), value / scale))]
    from .compare import holds

    if tail:
        numbers = []  # the true value has its own unit (`3.16 Mo`): it is written as it is shown
    rescaled = _rescaled(written, w, true, value)  # `154141 kB`, `0,0709 Mo`: another prefix
    if rescaled:
        return rescaled
    for number, scale in dict.fromkeys(numbers):
        shown = _as_float(number)
        if value and not shown:
            continue  # `0 k` for 201 holds at its precision, but says nothing
        if not approx and value and abs(shown * scale - value) > LOSS * abs(value):
            continue  # `0,1 Mo` for 70 912 bytes holds at the written decimal, but says little
        candidate = written[:w.start()] + number + written[w.end():]
        if any(holds(candidate, value, lang) for lang in ("en", "fr")):
            return candidate
    return None


_PREFIXED = re.compile(r"\s*(?P<p>[kKMGT]?)(?P<i>i?)(?P<base>B|o|FLOPs|MACs)(?![\w])")
_PREFIXES = ("", "k", "M", "G", "T")
RESCALE_BELOW = 0.1  # a value under a tenth of the written unit (`0,07 Mo`) or over 999 takes another prefix


def _rescaled(written: str, w: re.Match, true: str, value: float) -> str | None:
    """The claim with its unit's prefix changed so that its number is between 1 and 1000, in the
    written significant digits (`154 kB` for 154 141 kB: `154 MB`; `1 Mo` for 1 030 o: `1 ko`), if
    it then holds; `true` says the value with its unit (`154141 kB`) or in the base one (`70 912`)."""
    from .grammar import Number, read_value

    m = _PREFIXED.match(written, w.end())
    if m is None:
        return None
    step = 1024 if m["i"] else 1000
    at = {"": 0, "k": 1, "K": 1, "M": 2, "G": 3, "T": 4}[m["p"]]
    for lang in ("en", "fr"):
        said = read_value(true, lang)
        base = said.value if isinstance(said, Number) and said.unit else value
        if RESCALE_BELOW <= abs(base / step ** at) < 1000:
            continue  # `0,4 Mo` for 420 ko reads well: the written prefix stays (in this language's reading)
        for j, prefix in enumerate(_PREFIXES):
            n = base / step ** j
            if (m["i"] and not prefix) or not 1 <= abs(n) < 1000:
                continue
            number = _at_significance(w.group(), n)
            if number is None:
                continue
            prefix = prefix.upper() if prefix == "k" and (m["p"] == "K" or m["i"]) else prefix
            candidate = (written[:w.start()] + number + written[w.end():m.start("p")] + prefix + m["i"]
                         + m["base"] + written[m.end():])
            claim = read_value(candidate, lang)
            if isinstance(claim, Number) and abs(claim.value - base) <= claim.tolerance + 1e-9 * abs(base):
                return candidate
    return None


# A fix rounded at the written precision may be this far from the true value (`0.5` for 0.8545 is
# fixed as `0.9`); farther, the written number of significant digits is kept instead.
LOSS = 0.1


def _at_significance(written: str, value: float) -> str | None:
    """`value` in as many significant digits as `written` has, with its decimal mark; None when that
    needs decimals that `written` gives no mark for."""
    import math

    digits = re.sub(r"\D", "", written.split("e")[0]).lstrip("0")
    mark = next((c for c in (".", ",") if re.search(rf"\d{re.escape(c)}\d+$", written)
                 and not re.search(rf"\d{re.escape(c)}\d{{3}}\d", written)), "")
    significant = len(digits) if mark else len(digits.rstrip("0"))
    if not value or not significant:
        return None
    places = max(0, significant - 1 - math.floor(math.log10(abs(value))))
    if places and not mark:
        return None
    return f"{value:.{places}f}".replace(".", mark or ".")


def _as_float(text: str) -> float:
    text = text.replace("\u202f", "").replace("\u00a0", "").replace("−", "-")
    if re.fullmatch(r"[-+]?\d{1,3}([, ]\d{3})+", text):
        return float(re.sub(r"[, ]", "", text))
    return float(text.replace(" ", "").replace(",", "."))


def _at_precision(written: str, value: float) -> str:
    """`value` rounded as `written` is (its decimals, or its trailing zeros), in its separators."""
    group = next((c for c in (",", "\u202f", "\u00a0", " ") if re.search(rf"\d{c}\d{{3}}", written)), "")
    decimal_mark = next((c for c in (".", ",") if c != group and re.search(rf"\d{re.escape(c)}\d+$", written)), "")
    if decimal_mark:
        places = len(written) - written.rindex(decimal_mark) - 1
        out = f"{value:.{places}f}".replace(".", decimal_mark)
    else:
        digits = re.sub(r"\D", "", written)
        zeros = len(digits) - len(digits.rstrip("0")) if digits.strip("0") else 0
        out = str(int(round(value, -zeros)))
    if group:
        head, dot, rest = out.partition(decimal_mark) if decimal_mark else (out, "", "")
        sign = "-" if head.startswith("-") else ""
        head = f"{int(head.lstrip('-')):,}".replace(",", group)
        out = sign + head + dot + rest
    return out


def _split_ending(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body):]


def _refused(p: ClaimError, why: str) -> ClaimError:
    return ClaimError(f"{p.message}; not fixed: {why}", p.location, p.detail, p.written, p.true)


def _why_not(region: Region, path: Path) -> str:
    where = f"{display_path(path)}:{region.first}-{region.last}"
    if region.kind == "for":
        return (f"it is inside the {{% for %}} loop at {where}, where one literal stands for the value of "
                "every pass; write the value there with `{py} ...` or a loop variable")
    return (f"it is inside the {region.kind} `{region.name}` at {where}, used wherever it is called; "
            "pass the value as an argument or write it with `{py} ...`")


def jinja_regions(text: str) -> list[Region]:
    """The `{% for %}` loops, macros and `{% call %}` blocks of a template, with their lines."""
    import jinja2

    regions: list[Region] = []
    stack: list[tuple[str, str, int]] = []
    expect_name: tuple[str, int] | None = None
    try:
        tokens = list(jinja2.Environment().lex(text))
    except jinja2.TemplateSyntaxError:
        return regions
    after_begin = False
    for lineno, kind, value in tokens:
        if kind == "whitespace":
            continue
        if kind == "block_begin":
            after_begin = True
            continue
        if after_begin and kind == "name":
            after_begin = False
            if value in ("for", "macro", "call"):
                expect_name = (value, lineno) if value == "macro" else None
                stack.append((value, "", lineno))
            elif value in ("endfor", "endmacro", "endcall") and stack:
                opened, name, first = stack.pop()
                regions.append(Region(opened, name, first, lineno))
            continue
        if expect_name and kind == "name":
            opened, _, first = stack[-1]
            stack[-1] = (opened, value, first)
            expect_name = None
        after_begin = False
    return regions


# what a claim's value follows: a result comment's `#`, a prose claim's `=>`, a transcript's `>>>` line
_CLAIM_MARK = re.compile(r"(?:#|=>)[ \t]*")


def replace_claim(line: str, old: str, new: str) -> str | None:
    """`line` with the claim `old` (the written value right after its `#` or `=>`) made `new`; never
    another copy of the same text elsewhere on the line (`# 3 (one for each of 3 inputs)`). A line
    that is the value alone (a transcript's output) is replaced whole. None: not found."""
    at = claim_at(line, old)
    return None if at is None else line[:at] + new + line[at + len(old):]


def claim_at(line: str, old: str, start: int = 0) -> int | None:
    """Where the first claim `old` at or after `start` begins on `line` (see replace_claim)."""
    for mark in _CLAIM_MARK.finditer(line, start):
        at = mark.end()
        if not line.startswith(old, at) and mark.group().startswith("#"):
            from .result_comments import COMMENT_VALUE

            labelled = COMMENT_VALUE.match(line[at:])  # `# Nb de poids : 160`
            at += len(labelled.group("label") or "") if labelled else 0
        if line.startswith(old, at):
            return at
    if not start and line.strip() == old:
        return line.index(old)
    return None
