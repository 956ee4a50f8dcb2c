"""`--fix`: each false literal in the sources rewritten to its true value, nothing else touched."""
from __future__ import annotations

import difflib
from collections import defaultdict
from pathlib import Path

from ..errors import ClaimError, DeckError
from ..shared.files import write_atomic


def fix_sources(reports) -> tuple[str, int, list[DeckError]]:
    """Rewrite each false literal to its true value in the source; return (diff, fixed, unfixable)."""
    by_file: dict[Path, list[ClaimError]] = defaultdict(list)
    unfixable: list[DeckError] = []
    for r in reports:
        for p in r.problems:
            if isinstance(p, ClaimError) and p.written and p.true and p.location:
                by_file[p.location.path].append(p)
            elif isinstance(p, ClaimError):
                unfixable.append(p)
    diff, fixed = [], 0
    for path, problems in sorted(by_file.items()):
        before = path.read_text(encoding="utf-8")
        lines = before.split("\n")
        done = set()
        for p in sorted(problems, key=lambda p: p.location.line):
            key = (p.location.line, p.written)
            if key in done:  # one source line repeated by a Jinja loop: fix it once
                continue
            i = p.location.line - 1
            new = replace_last(lines[i], p.written, p.true.replace("\u202f", " ")) if 0 <= i < len(lines) else None
            if new is None:
                unfixable.append(p)
                continue
            lines[i] = new
            done.add(key)
            fixed += 1
        after = "\n".join(lines)
        if after != before:
            write_atomic(path, after)
            name = str(problems[0].location.display_path())
            diff.extend(difflib.unified_diff(before.splitlines(True), after.splitlines(True), name, name))
    return "".join(diff), fixed, unfixable


def replace_last(line: str, old: str, new: str) -> str | None:
    at = line.rfind(old)
    if at < 0:
        return None
    return line[:at] + new + line[at + len(old):]
