"""Exercises: a blank written where a value goes is a question; the answer is shown one step later.
So is a `::: answer` block, the answer in words.

The student version keeps every blank and drops the answers, their steps and the speaker notes (a
lecturer's notes often hold the answers, and the presenter view would show them).
"""
from __future__ import annotations

import dataclasses

from ..document import Cell, Deck, InlineExpr, Slide

BLANKS = ("?", "( ... )", "(...)", "...", "…")


def is_blank(written: str) -> bool:
    return written.strip() in BLANKS


def student_version(deck: Deck) -> Deck:
    """The student version of an executed deck, as a new deck (the executed one is left as it is, so
    that every version renders from it in any order): every exercise keeps its blank; answer blocks,
    answer steps and notes disappear."""
    return dataclasses.replace(deck, slides=[student_slide(s) for s in deck.slides])


def student_slide(slide: Slide) -> Slide:
    """One slide of the student version, as a new slide: its tokens point to its new cells and
    expressions (the renderer finds them there)."""
    cells = [_student_cell(c) for c in slide.cells]
    exprs = [_student_expr(e) for e in slide.exprs]
    swap: dict[int, object] = {id(old): new for old, new in [*zip(slide.cells, cells), *zip(slide.exprs, exprs)]}
    return dataclasses.replace(
        slide, tokens=_pointing_to(_without_containers(slide.tokens, ("answer", "notes")), swap),
        answer_steps=[], cells=cells, exprs=exprs, items=[swap.get(id(i), i) for i in slide.items])


def _pointing_to(tokens: list, swap: dict[int, object]) -> list:
    """The tokens, copied where they (or their children) carry a cell or an expression to swap."""
    out = []
    for tok in tokens:
        children = _pointing_to(tok.children, swap) if tok.children else tok.children
        moved = any(a is not b for a, b in zip(children or [], tok.children or []))
        if moved or any(k in ("cell", "expr") and id(v) in swap for k, v in tok.meta.items()):
            meta = {k: swap.get(id(v), v) if k in ("cell", "expr") else v for k, v in tok.meta.items()}
            tok = tok.copy(children=children, meta=meta)
        out.append(tok)
    return out


def _student_expr(expr: InlineExpr) -> InlineExpr:
    """Prose `{py} expr => ?` shows its blank, with no answer step."""
    if expr.claim is not None and is_blank(expr.claim):
        return dataclasses.replace(expr, text=expr.claim, answer_step=None)
    return expr


def _student_cell(cell: Cell) -> Cell:
    """A cell whose blanks stay blanks: each answer span becomes its blank, without an answer step."""
    lines = cell.display.split("\n")
    replacements = list(cell.replacements)
    for i in sorted((i for i, r in enumerate(replacements) if r.blank is not None),
                    key=lambda i: -replacements[i].start):
        r = replacements[i]
        blank = r.blank or ""
        lines[r.line] = lines[r.line][:r.start] + blank + lines[r.line][r.end:]
        replacements[i] = dataclasses.replace(r, text=blank, end=r.start + len(blank), answer_step=None)
    return dataclasses.replace(cell, display="\n".join(lines), replacements=replacements)


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
