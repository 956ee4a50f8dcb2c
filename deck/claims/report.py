"""Reports of what a build or check found: JSON (`--format json`) and GitHub annotations.

The checking itself is the normal pipeline collecting problems instead of stopping (see
pipeline.build_deck with check=True); this module only says what was found.
"""
from __future__ import annotations

import json

from ..shared.files import display_path


def as_json(reports) -> str:
    decks = [{"name": r.name, "source": display_path(r.source), "slides": r.slides, "cells": r.cells,
              "claims": [{"file": loc.display_path(), "line": loc.line, "slide": loc.slide, "written": written,
                          "kind": getattr(claim, "kind", "") or None}
                         for claim in r.checked for loc, written in [claim]],
              "unchecked": [{"file": u.location.display_path(), "line": u.location.line, "slide": u.location.slide,
                             "number": u.number, "context": u.context, "why": u.why} for u in r.unchecked],
              "problems": [p.record() for p in r.problems]} for r in reports]
    ok = all(not d["problems"] for d in decks)
    return json.dumps({"ok": ok, "decks": decks}, ensure_ascii=False, indent=2)


def _escaped(text: str, property_value: bool = False) -> str:
    """GitHub's workflow-command escaping: `%`, CR and LF everywhere; `:` and `,` in a property too
    (they end it: `file=week,1:a.md` would name the file `week`)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def github_annotations(reports) -> str:
    """`::error file=...,line=...::message` lines that GitHub Actions shows on the diff."""
    lines = []
    for r in reports:
        for p in r.problems:
            rec = p.record()
            where = f"file={_escaped(rec['file'], True)},line={rec['line']}," if rec["file"] else ""
            msg = p.message + (f" (written {rec['written']}, true {rec['true']})" if rec["written"] else "")
            title = f"slide {rec['slide']}" if rec["slide"] else "deck"
            lines.append(f"::error {where}title={_escaped(title, True)}::{_escaped(msg)}")
    return "\n".join(lines)


