"""Result comments (knitr style): `shape(fc(x))  # (32, 512)` under `#| output: comment`.

deck writes the value after the comment sign (after a `label :` if there is one). What is already
written there decides: a value (grammar.py: a number, a shape, a formula, a dtype, True/False) is a
claim to verify, a blank an exercise, anything else a plain comment that deck leaves as it is.
"""
from __future__ import annotations

import io
import re

from ..document import Cell, Replacement
from .exercises import is_blank
from .grammar import split_remark
from .verify import Problems, verify

# `# Nb de poids : 160`: a label (it has a letter, so `12:30` is not one) and what follows it
COMMENT_VALUE = re.compile(r"^(?P<label>[^:#{}()\[\]'\"]*[^\W\d_][^:#{}()\[\]'\"]*:\s*)?(?P<value>.*?)\s*$")


def result_comment(cell: Cell, i: int, line: str, value, shown: str, lang: str, problems: Problems) -> str:
    """Line `i` of the cell as displayed, with its value as a result comment (or its claim verified)."""
    col = comment_column(line)
    location = cell.lines[min(i, len(cell.lines) - 1)]
    if col is None:
        line = line.rstrip() + "  # "
        start = len(line)
        cell.replacements.append(Replacement(i, start, start + len(shown), shown))
        return line + shown
    m = COMMENT_VALUE.match(line[col + 1:])
    assert m is not None  # every line matches: the label is optional, the value may be empty
    label, written = (m.group("label") or "").strip(), m.group("value").strip()
    prefix = line[:col] + "# " + (label + " " if label else "")
    start = len(prefix)
    if not written:
        cell.replacements.append(Replacement(i, start, start + len(shown), shown))
        return prefix + shown
    if is_blank(written):
        cell.replacements.append(Replacement(i, start, start + len(shown), shown, written, cell.step + 1))
        return prefix + shown
    written, remark = split_remark(written, lang)
    if not written:
        return line  # a plain comment (`# total over the batch`): the lecturer's words, left alone
    verify(written, value, shown, lang, location, problems, "this line gives")
    return prefix + written + (f"  {remark}" if remark else "")


def comment_column(line: str) -> int | None:
    """Where the comment of a line of Python starts (a `#` inside a string is not one)."""
    import tokenize

    try:
        for tok in tokenize.generate_tokens(io.StringIO(line + "\n").readline):
            if tok.type == tokenize.COMMENT:
                return tok.start[1]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return None
