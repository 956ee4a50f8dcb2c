"""Check mode's outputs: problem records, JSON and GitHub annotations, and `--fix`.

The checking itself is the normal pipeline collecting problems instead of stopping (see
pipeline.build_deck with check=True); this module only reports and repairs.
"""
from __future__ import annotations

import difflib
import json
from collections import defaultdict
from pathlib import Path

from .errors import ClaimError, DeckError, OverflowProblem


def kind_of(problem: DeckError) -> str:
    if isinstance(problem, OverflowProblem):
        return "overflow"
    if isinstance(problem, ClaimError):
        return "claim"
    return "error"


def record(problem: DeckError) -> dict:
    loc = problem.location
    return {
        "file": loc.display_path() if loc else None,
        "line": loc.line if loc else None,
        "slide": loc.slide if loc else None,
        "kind": kind_of(problem),
        "message": problem.message,
        "written": getattr(problem, "written", None),
        "true": getattr(problem, "true", None),
    }


def as_json(reports) -> str:
    decks = [{"name": r.name, "source": str(r.source), "slides": r.slides, "cells": r.cells,
              "problems": [record(p) for p in r.problems]} for r in reports]
    ok = all(not d["problems"] for d in decks)
    return json.dumps({"ok": ok, "decks": decks}, ensure_ascii=False, indent=2)


def github_annotations(reports) -> str:
    """`::error file=...,line=...::message` lines that GitHub Actions shows on the diff."""
    lines = []
    for r in reports:
        for p in r.problems:
            rec = record(p)
            where = f"file={rec['file']},line={rec['line']}" if rec["file"] else ""
            msg = p.message + (f" (written {rec['written']}, true {rec['true']})" if rec["written"] else "")
            msg = msg.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            title = f"slide {rec['slide']}" if rec["slide"] else "deck"
            lines.append(f"::error {where},title={title}::{msg}")
    return "\n".join(lines)


def fix_sources(reports) -> tuple[str, int, list[DeckError]]:
    """Rewrite each false literal to its true value in the source; return (diff, fixed, unfixable)."""
    by_file: dict[Path, list[ClaimError]] = defaultdict(list)
    unfixable: list[DeckError] = []
    for r in reports:
        for p in r.problems:
            if isinstance(p, ClaimError) and p.written and p.true and p.location:
                by_file[p.location.path].append(p)
            elif isinstance(p, ClaimError) and not isinstance(p, OverflowProblem):
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
            tmp = path.with_name(f".{path.name}.fix.tmp")
            tmp.write_text(after, encoding="utf-8")
            tmp.replace(path)
            name = str(problems[0].location.display_path())
            diff.extend(difflib.unified_diff(before.splitlines(True), after.splitlines(True), name, name))
    return "".join(diff), fixed, unfixable


def replace_last(line: str, old: str, new: str) -> str | None:
    at = line.rfind(old)
    if at < 0:
        return None
    return line[:at] + new + line[at + len(old):]
