"""`--fix`: each false literal in the sources rewritten to its true value, nothing else touched.

Only files inside the project are written (through a symlink, the file it points to), with their
line endings and permissions kept. A claim written inside a Jinja `{% for %}` loop or a macro is
not fixed: one literal there stands for several values, so the message says where to change it.
"""
from __future__ import annotations

import difflib
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..errors import ClaimError, DeckError
from ..shared.files import display_path, write_atomic


@dataclass(frozen=True)
class Region:
    kind: str        # "for" | "macro" | "call"
    name: str
    first: int       # 1-based lines of its opening and closing tags
    last: int


def fix_sources(reports, project_root: Path) -> tuple[str, int, list[DeckError]]:
    """Rewrite each false literal to its true value in the source; return (diff, fixed, unfixable)."""
    root = project_root.resolve()
    by_file: dict[Path, list[ClaimError]] = defaultdict(list)
    unfixable: list[DeckError] = []
    for r in reports:
        for p in r.problems:
            if isinstance(p, ClaimError) and p.written and p.true and p.location:
                by_file[p.location.path.resolve()].append(p)
            elif isinstance(p, ClaimError):
                unfixable.append(p)
    diff, fixed = [], 0
    for path, problems in sorted(by_file.items()):
        if not path.is_relative_to(root):
            unfixable.extend(_refused(p, f"{display_path(path)} is outside the project: not edited")
                             for p in problems)
            continue
        data = path.read_bytes()
        before = data.decode("utf-8")
        lines = before.splitlines(keepends=True)
        regions = jinja_regions(before)
        done = set()
        for p in sorted(problems, key=lambda p: p.location.line):
            key = (p.location.line, p.written)
            if key in done:  # reported twice (two decks include this file)
                continue
            done.add(key)
            region = next((g for g in regions if g.first <= p.location.line <= g.last), None)
            if region is not None:
                unfixable.append(_refused(p, _why_not(region, path)))
                continue
            i = p.location.line - 1
            body, ending = _split_ending(lines[i]) if 0 <= i < len(lines) else ("", "")
            new = replace_last(body, p.written, in_written_form(p.written, p.true.replace("\u202f", " "))) if body else None
            if new is None:
                unfixable.append(_refused(p, "the written value is not literally on this line "
                                             "(made by Jinja?): change it by hand"))
                continue
            lines[i] = new + ending
            fixed += 1
        after = "".join(lines)
        if after != before:
            mode = path.stat().st_mode & 0o7777
            write_atomic(path, after.encode("utf-8"))
            os.chmod(path, mode)
            name = display_path(path)
            diff.extend(difflib.unified_diff(before.splitlines(True), after.splitlines(True), name, name))
    return "".join(diff), fixed, unfixable


def in_written_form(written: str, true: str) -> str:
    """The true value as the lecturer wrote the false one, where that can be kept: a formula whose
    arithmetic holds keeps it (`3 × (64 × 72 + 128) = 14336` -> `... = 14208`); else the value alone."""
    from .grammar import Formula, read_value

    if "=" in written:
        candidate = f"{written.rsplit('=', 1)[0].rstrip()} = {true}"
        for lang in ("en", "fr"):  # the digits of `true` are written as the deck writes them
            claim = read_value(candidate, lang)
            if isinstance(claim, Formula) and max(claim.values) - min(claim.values) <= 1e-9 * max(map(abs, claim.values)):
                return candidate
    return true


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


def replace_last(line: str, old: str, new: str) -> str | None:
    at = line.rfind(old)
    if at < 0:
        return None
    return line[:at] + new + line[at + len(old):]
