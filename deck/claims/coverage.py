r"""Claim coverage: the numbers typed on slides that no claim verifies, so that a reader knows how much
of a slide is checked.

A number is *unchecked* when it is typed in prose, a heading, a list item, a table cell, an image
caption or an answer block, or in the result comment of an expression line (`#| output: comment`),
and is neither a claim nor a computed value (`{py} ...`, a filled comment). Math (`$...$`, `$$...$$`)
counts where its numbers are typed quantities: arithmetic alone (`$3 \times 3 \times 64 + 64 = 1792$`,
`$2^{10}$`) or a value given to a symbol at its end (`$\eta = 0.001$`); the constants of a formula
(`\frac{1}{N}`, `\beta_1`, `x^2`, `\sum_{i=1}^{N}`) are not. Out of scope: code (inline code
spans, code lines and their other comments), figures, speaker notes.
Names and labels are not quantities: a number glued to a name (`ResNet50`, `Conv2d`, `ResNet-50`,
`float32`, `3D`), after a label word or sign (`n°2`, `Recap' 3`, `slide 4`, `Python 3.11`), a date
(`2024-10-25`, `25/10/2024`, a year), a version (`1.2.3`, `v2`), the number of a heading or an item.
A hyperparameter typed in prose (`a 3 × 3 kernel`) is a number like any other: tie it
(`` `{py} conv.kernel_size => (3, 3)` ``) or mark it. The mark `{# typed #}` (a Jinja comment: it
does not show on the slide) on a source line says its numbers are typed on purpose.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from ..errors import EXIT_FALSE, DeckError, Location
from ..shared.locale import SUPERSCRIPT
from .grammar import SCALE_WORDS, split_remark

TYPED_MARK = re.compile(r"\{#-?\s*typed\b.*?#\}")
# a number as typed in prose: digits grouped by spaces (of three), `,` or `.`; `~`/`≈` before; a
# product or a power after (`3 × 3`, `10⁻⁵`); a percent sign
# A minus sign after a blank or a bracket (`-1`, `(−1, 1)`), not a hyphen (`ResNet-50`, `top-5`); a
# power (`2^10`, `10⁶`, `7²`), a fraction (`1/3`), a scale or a factor glued to the digits (`1.2M`,
# `5k`, `4x`): one number each (`3D`, `Conv2d`, `float32` stay names)
NUMBER = re.compile(
    r"(?P<approx>[~≈]\s*)?(?P<n>(?:(?<![\w°º#§.,/:^-])[-−](?=\d))?(?<![\w°º#§.,/:^])(?<!\w[-−])"
    r"\d+(?:(?:[\u00a0\u202f\u2009 ](?=\d{3}\b)|[.,](?=\d))\d+)*"
    r"(?:\^[-−]?\d+|[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+|/\d+(?![\d/]))?"
    r"(?:\s*[×x*]\s*\d+(?:[.,]\d+)?(?![⁻⁺⁰¹²³⁴⁵⁶⁷⁸⁹]))*(?:\s*[×x*]\s*10[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+|[eE][-+]?\d+)?(?:[kMGT]|[x×](?!\d))?"
    r"(?:\s*%)?)(?![\w°]|[.,]\d)")
# the unit or scale a number is typed with, shown with it (`25 k`, `98 MiB`, `3 millions`): the claim
# to write is `{py} expr => 25 k`, not `=> 25`. The scale words are grammar's, but `thousands` and
# `trillion`, which this pattern never matched (kept so: which numbers count as unchecked is unchanged)
_SCALES_AFTER = "|".join(sorted((w for w in SCALE_WORDS if w not in ("thousands", "trillion")), key=lambda w: (-len(w), w)))
UNIT_AFTER = re.compile(r"[\u00a0\u202f ](?:[kKMGT]i?[Bo]|[KMGT]io|[kKMGT]?(?:FLOPs|MACs)|[kKMGT]|Md|[mµn]s"
                        rf"|B|o|{_SCALES_AFTER})(?![\w'-])")
# arithmetic typed in prose: numbers (grouped by spaces of three) joined by operators, with
# parentheses, floor and ceiling; a formula when it has more than a product (`3 × 3` is a size)
_TERM = r"[⌊⌈(]*(?:\d{1,3}(?:[\u00a0\u202f\u2009 ]\d{3})+|\d+)(?:[.,]\d+)?[⁰¹²³⁴⁵⁶⁷⁸⁹]*[⌋⌉)]*"
FORMULA_SPAN = re.compile(rf"(?<![\w.,/-]){_TERM}(?:\s*(?:[+−/=×*^]|(?<=\s)[-x](?=\s))\s*{_TERM})+(?![\w°]|[.,]\d)")
FORMULA_OPERATOR = re.compile(r"[+−/=⌊⌈]|\s-\s")
LABEL_WORDS = frozenset("""
n° nº no no. num. numéro number # § part partie chapter chapitre section slide diapo diapositive figure fig.
fig table tableau step étape exercise exercice question lecture cours recap recap' séance session week
semaine lesson leçon version python torch pytorch torchvision cuda page annexe appendix td tp lab
""".split())
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d+(?:\.\d+){2,}\b")
MONTHS = re.compile(r"(?i)\b(?:january|february|march|april|may|june|july|august|september|october|november"
                    r"|december|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre"
                    r"|décembre)\b")
# a result comment that looks like a formula: an operator (or floor/ceiling) and `=` between digits
LOOKS_LIKE_FORMULA = re.compile(r"[⌊⌈]|//|\b(?:floor|ceil)\s*\(|\d\s*[-+×x*/^]\s*[\w(].*=|=\s*\d")


@dataclass(frozen=True)
class Unchecked:
    """A number typed on a slide that no claim verifies."""

    location: Location
    number: str            # as typed: `3 × 3`, `790 000`
    context: str           # the text it is typed in
    why: str = ""          # for a comment that looks like a formula: why deck could not read it

    def __str__(self) -> str:
        if self.why:
            return f"{self.location}: {self.why}"
        return f"{self.location}: {self.number} in \"{self.context}\""


class UncheckedNumber(DeckError):
    """With `--check --strict` (or `check: strict`): a number on a slide that nothing verifies."""

    kind = "unchecked"
    exit_code = EXIT_FALSE


def as_problem(item: Unchecked) -> UncheckedNumber:
    why = item.why or ("tie it to a value with `{py} expr => " + item.number + "`, or mark the line "
                       "{# typed #}")
    return UncheckedNumber(f"number on the slide not checked: {item.number} in \"{item.context}\"; {why}",
                           item.location)


def unchecked_numbers(deck, claims) -> list[Unchecked]:
    """Every unchecked number of the deck, in source order (a marked line's numbers left out)."""
    claimed = {(loc.path, loc.line) for loc, *_ in claims}
    found: list[Unchecked] = []
    for slide in deck.slides:
        if slide.kind == "title":
            continue
        on_slide = prose_numbers(slide)
        for cell in slide.cells:
            on_slide += comment_numbers(cell, claimed, deck.lang, slide.index)
        found += sorted(on_slide, key=lambda u: (str(u.location.path), u.location.line))
    return [u for u in found if not TYPED_MARK.search(u.location.source_line() or "")]


def prose_numbers(slide) -> list[Unchecked]:
    """Numbers in the slide's text: paragraphs, headings, items, table cells, captions (not notes)."""
    found, notes, heading, row = [], 0, False, None
    for tok in slide.tokens:
        if tok.type == "tr_open":
            row = tok.map  # a table cell's inline token is located by its row
        elif tok.type == "container_notes_open":
            notes += 1
        elif tok.type == "container_notes_close":
            notes -= 1
        elif tok.type in ("heading_open", "heading_close"):
            heading = tok.type == "heading_open"
        elif tok.type == "inline" and not notes:
            found += _inline_numbers(tok, slide, heading, row)
        elif tok.type in MATH_TOKENS and not notes and tok.map:
            found += _located(slide, tok.map[0], math_numbers(tok.content), tok.map, tok.content)
        elif tok.type == "tr_close":
            row = None
    return found


def _inline_numbers(tok, slide, heading: bool, row) -> list[Unchecked]:
    at = row or tok.map
    found, line = [], at[0] if at else 0
    children = list(tok.children or [])
    for i, child in enumerate(children):
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        if child.type in MATH_TOKENS:
            found += _located(slide, line, math_numbers(child.content), at, child.content)
            line += child.content.count("\n")
            continue
        texts = [child] if child.type == "text" else [c for c in child.children or [] if c.type == "text"] \
            if child.type == "image" else []
        for text in texts:
            first = i == 0 and text is child
            found += _located(slide, line, numbers_in(text.content, numbered=first and heading), at, text.content)
    return found


def _located(slide, line: int, numbers: list[str], at, text: str) -> list[Unchecked]:
    where = min(line, len(slide.lines) - 1)
    context = slide.markdown.split("\n")[where] if at else text
    return [Unchecked(slide.lines[where].on_slide(slide.index), n, " ".join(context.split())) for n in numbers]


MATH_TOKENS = ("math_inline", "math_inline_double", "math_block", "math_block_label")
# TeX as the numbers it shows: operators and spacing as in prose, `\frac{a}{b}` as `(a)/(b)`
_TEX_SIGNS = {r"\times": "×", r"\cdot": "×", r"\lfloor": "⌊", r"\rfloor": "⌋", r"\lceil": "⌈",
              r"\rceil": "⌉", r"\approx": "≈", r"\sim": "~", r"\%": "%", r"\div": "/", r"\,": " ", r"\;": " ",
              r"\!": "", r"\left": "", r"\right": "", r"\quad": " ", r"\qquad": " "}
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_VALUE = re.compile(r"[-−]?\d[\d\s.,]*[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]*(?:\s*×\s*10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?\s*%?")


def math_numbers(tex: str) -> list[str]:
    """The typed quantities of a math span: all its numbers when it is arithmetic alone, else the
    value it gives a symbol at its end; none for a formula's constants."""
    text = _as_prose(tex)
    if not re.search(r"\\[A-Za-z]|[^\W\d_⁰¹²³⁴⁵⁶⁷⁸⁹]", text):
        return numbers_in(text)
    depth, last = 0, -1
    for i, c in enumerate(tex):  # the last `=` outside braces: `\sum_{i=1}` gives no value
        depth += (c == "{") - (c == "}")
        if c == "=" and depth == 0:
            last = i
    value = _as_prose(tex[last + 1:]) if last >= 0 else ""
    return numbers_in(value) if _VALUE.fullmatch(value) else []


def _as_prose(tex: str) -> str:
    text = tex.replace("~", " ")  # TeX's unbreakable space; `\sim` is read below
    for command, sign in _TEX_SIGNS.items():
        text = re.sub(re.escape(command) + r"(?![A-Za-z])", sign, text)
    text = _FRAC.sub(r"(\1)/(\2)", text)
    text = re.sub(r"\^\s*\{([^{}]*)\}", r"^\1", text).replace("{", "").replace("}", "")
    text = re.sub(r"([⌊⌈(])\s+", r"\1", re.sub(r"\s+([⌋⌉)])", r"\1", text))
    text = re.sub(r"\^\s*([-−]?\d+)", lambda m: m.group(1).replace("−", "-").translate(SUPERSCRIPT), text)  # `10⁻⁸`, as in prose
    return " ".join(text.split())


def numbers_in(text: str, numbered: bool = False) -> list[str]:
    """The quantities typed in a text (names, labels, dates and versions left out)."""
    spans = [m.span() for m in DATE.finditer(text)]
    # `⌊(224 + 2 − 3) / 2⌋ + 1 = 112` is one formula: listed once, whole (the claim to write)
    formulas = [f.span() for f in FORMULA_SPAN.finditer(text)
                if FORMULA_OPERATOR.search(f.group()) and not any(a <= f.start() < b for a, b in spans)]
    found: list[str] = []
    listed: set[tuple[int, int]] = set()
    for m in NUMBER.finditer(text):
        start, end = m.span("n")
        formula = next(((a, b) for a, b in formulas if a <= start < b), None)
        if formula in listed:
            continue
        if any(a <= start < b for a, b in spans) or _is_label(text, start, end, numbered):
            if formula is not None:
                listed.add(formula)  # `version 2 + 1`: the label's formula is the label's
            continue
        if formula is not None:
            listed.add(formula)
            found.append(text[formula[0]:formula[1]])
            continue
        unit = UNIT_AFTER.match(text, end)
        found.append((m.group("approx") or "") + m.group("n") + (unit.group() if unit else ""))
    return found


def _is_label(text: str, start: int, end: int, numbered: bool) -> bool:
    before, after = text[:start], text[end:]
    word = before.split()[-1].lower() if before.split() else ""
    if before.strip() == "" and (numbered and re.match(r"[.)]\s", after + " ")):
        return True  # `# 2. Convolutions`: the number of a heading
    if word in LABEL_WORDS or re.search(r"(?:n[°º]|[#§]|\bv)\s*$", before, re.I) or before.rstrip().endswith("'"):
        return True
    if re.fullmatch(r"\d{4}", text[start:end]) and 1900 <= int(text[start:end]) <= 2100:
        return True  # a year
    if MONTHS.search(before[-12:]) or MONTHS.match(after.strip(" ,")):
        return True  # October 25, 2024 / 25 octobre
    # a name written with a space before its number: `VGG 16`, `ResNet 50` (capitals inside a word)
    return bool(re.search(r"\b[A-Z][\w-]*[A-Z][\w-]*\s*$", before)) and not re.search(r"[×x*]", text[start:end])


def comment_numbers(cell, claimed: set, lang: str, slide: int) -> list[Unchecked]:
    """Numbers in the result comments of a cell's expression lines that are not claims."""
    if not cell.live or cell.options.output != "comment" or not cell.options.eval:
        return []
    from .result_comments import COMMENT_VALUE, comment_column

    lines = cell.code.split("\n")
    found = []
    for i in expression_lines(cell.code):
        where = cell.lines[min(i, len(cell.lines) - 1)].on_slide(slide)
        col = comment_column(lines[i]) if i < len(lines) else None
        if col is None:
            continue
        m = COMMENT_VALUE.match(lines[i][col + 1:])
        comment = (m.group("value") if m else lines[i][col + 1:]).strip()
        if (where.path, where.line) in claimed:
            # the claim checks its value; a number in its remark (`# 32 (for 16 images)`) nothing checks
            remark = split_remark(comment, lang)[1]
            typed = ", ".join(numbers_in(remark))
            if typed:
                found.append(Unchecked(where, typed, remark,
                                       f"{typed} in the remark \"{remark}\" after the claim's value, which no claim checks"))
            continue
        numbers = numbers_in(comment)
        if not numbers:
            continue
        why = ""
        if LOOKS_LIKE_FORMULA.search(comment):
            why = f"not read as a claim: {comment} ({unreadable(comment, lang)})"
        found.append(Unchecked(where, ", ".join(numbers), comment, why))
    return found


def expression_lines(code: str) -> list[int]:
    """0-based last line of each expression statement (where its result comment goes)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [node.end_lineno - 1 for node in tree.body if isinstance(node, ast.Expr) and node.end_lineno]


def unreadable(comment: str, lang: str) -> str:
    """Why a comment that looks like a formula is not read as one."""
    value, _ = split_remark(comment, lang)
    if value:
        return f"only `{value}` reads as a value"
    names = sorted(set(re.findall(r"[^\W\d_]+", comment)) - {"x", "floor", "ceil", "math"})
    if names:
        return f"{', '.join(names)}: names where numbers are expected"
    return "not arithmetic deck can evaluate"
