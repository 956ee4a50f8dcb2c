"""Exercises: a blank written where a value goes is a question; the answer is shown one step later.
So is a `::: answer` block, the answer in words.

The student version keeps every blank and drops the answers, their steps and the speaker notes (a
lecturer's notes often hold the answers, and the presenter view would show them).
"""
from __future__ import annotations

from ..document import Deck

BLANKS = ("?", "( ... )", "(...)", "...", "…")


def is_blank(written: str) -> bool:
    return written.strip() in BLANKS


def hide_answers(deck: Deck) -> None:
    """Student version: every exercise keeps its blank; answer blocks, answer steps and notes disappear."""
    for slide in deck.slides:
        slide.tokens = _without_containers(slide.tokens, ("answer", "notes"))
        slide.answer_steps = []
        for expr in slide.exprs:  # prose `{py} expr => ?`
            if expr.claim is not None and is_blank(expr.claim):
                expr.text, expr.answer_step = expr.claim, None
        for cell in slide.cells:
            lines = cell.display.split("\n")
            for r in sorted((r for r in cell.replacements if r.blank is not None), key=lambda r: -r.start):
                lines[r.line] = lines[r.line][:r.start] + r.blank + lines[r.line][r.end:]
                r.text, r.end, r.answer_step = r.blank, r.start + len(r.blank), None  # a blank without answer
            cell.display = "\n".join(lines)


def _without_containers(tokens: list, names: tuple[str, ...]) -> list:
    """The tokens without the `::: name` containers of `names` and everything inside them."""
    kept, depth = [], 0
    opening = {f"container_{n}_open" for n in names}
    closing = {f"container_{n}_close" for n in names}
    for tok in tokens:
        if tok.type in opening:
            depth += 1
        elif tok.type in closing:
            depth -= 1
        elif not depth:
            kept.append(tok)
    return kept
