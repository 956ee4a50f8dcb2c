"""Exercises: a blank written where a value goes is a question; the answer is shown one step later.

The student version keeps every blank and drops the answer steps.
"""
from __future__ import annotations

from ..document import Deck

BLANKS = ("?", "( ... )", "(...)", "...", "…")


def is_blank(written: str) -> bool:
    return written.strip() in BLANKS


def hide_answers(deck: Deck) -> None:
    """Student version: every exercise keeps its blank, and the answer steps disappear."""
    for slide in deck.slides:
        for expr in slide.exprs:  # prose `{py} expr => ?`
            if expr.claim is not None and is_blank(expr.claim):
                expr.text = expr.claim
        for cell in slide.cells:
            lines = cell.display.split("\n")
            for r in sorted((r for r in cell.replacements if r.blank is not None), key=lambda r: -r.start):
                lines[r.line] = lines[r.line][:r.start] + r.blank + lines[r.line][r.end:]
                r.text, r.end, r.blank, r.answer_step = r.blank, r.start + len(r.blank), None, None
            cell.display = "\n".join(lines)
