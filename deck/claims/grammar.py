"""What a written value is: the grammar of claims.

A text reads as a value when it is, as a whole (spaces around it aside):
- a number in any spelling lecturers use: `524 800`, `524,800`, `1,5` / `1.5` (a decimal comma or
  point, in either language), `1e-5`, `1.0e-05`, `10^-5`, `1 × 10⁻⁵`, `2,5 × 10⁻⁴`, `~ 250 M`,
  `≈ 0.86`, `about 5k`, `environ 1,2 M`, `1,01 Go`, `1.01 GB`, `86 %`, `4.1 GFLOPs`, `3.7 billion`,
  `tensor(2.3026)`, optionally followed by a scale word and one word, its unit (`160 poids`,
  `60 millions de poids`); the unit says the kind of quantity (read_unit);
- a shape: `(8, 16, 2551)`, `(32,)`, `[8, 16]`, `torch.Size([8, 16])`;
- a formula: `1024 × 512 + 512`, `64 × (3 × 7² + 1)`, `2 * 3`, `⌊(224 + 6 − 7) / 2⌋ + 1`, possibly
  with its result (`1024 x 512 + 512 = 524 800`) and a unit word (`11 × 11 pixels`);
- a dtype: `torch.float32`, `float64`, `int64`;
- `True` or `False`;
- a tensor as PyTorch prints it, or a list of numbers: `tensor([0.09, 0.24, 0.67])`, `tensor(1.)`,
  `tensor([[1., 0.], [0., 1.]])`, `[0.5, 0.25]` (each number to its written precision; `grad_fn=`,
  `dtype=` and such are ignored);
- a Python literal: `'relu'`, `{'a': 1}`;
- a sequence of values, in order: `16 → 32 → 64`, `224 -> 112 -> 56 pixels` (each part a value, a
  unit word after the last one), of a list, tuple or 1-d tensor.
Anything else is prose. A blank (`?`, `...`, `( ... )`) is an exercise, not a value. In a result
comment, a value may be followed by a remark in parentheses or after two spaces:
`# 32 (a scale and a shift per channel)`, `# (2, 5)  one mean per token`.
"""
from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import cast

from .exercises import is_blank

SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
MINUS = str.maketrans({"−": "-", "–": "-"})

SCALES = {"k": 1e3, "K": 1e3, "M": 1e6, "Md": 1e9, "G": 1e9, "T": 1e12}
BYTES = {"o": 1, "B": 1, "ko": 1e3, "Ko": 1e3, "kB": 1e3, "KB": 1e3, "Mo": 1e6, "MB": 1e6, "Go": 1e9, "GB": 1e9,
         "To": 1e12, "TB": 1e12, "Kio": 1024, "KiB": 1024, "Mio": 1024**2, "MiB": 1024**2, "Gio": 1024**3,
         "GiB": 1024**3, "Tio": 1024**4, "TiB": 1024**4}
# Scale words, written after the number: `3.7 billion`, `60 millions de poids`, `790 mille`
SCALE_WORDS = {"thousand": 1e3, "thousands": 1e3, "mille": 1e3, "millier": 1e3, "milliers": 1e3,
               "million": 1e6, "millions": 1e6,
               "billion": 1e9, "billions": 1e9, "milliard": 1e9, "milliards": 1e9, "trillion": 1e12}
# What a unit word says the quantity is (compare.py refuses a count written in bytes, and such)
KIND_WORDS = {
    "count": ("weights", "weight", "params", "param", "parameters", "parameter", "poids", "paramètres",
              "paramètre"),
    "bytes": ("bytes", "byte", "octets", "octet"),
    "flops": ("flops", "flop"),
    "macs": ("macs", "mac", "multiply-adds", "multiply-add", "mult-adds", "madds"),
}
TIMES = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}
PREFIXED = re.compile(r"^(?P<prefix>[kKMGT]?)(?P<word>FLOPs?|FLOPS|flops|MACs?|MACS|macs|params|Params)$")
_PREFIX = {"": 1.0, **SCALES}

# `~`, in words: `about 5k weights`, `environ 1,2 M`
APPROX_WORDS = r"(?:about|around|roughly|approx\.?|approximately|environ|env\.|près de|autour de)"
_DIGITS = r"\d(?:[\d\s\u00a0\u202f\u2009'.,]*\d)?"
_EXPONENT = (r"(?:[eE](?P<e>[-+]?\d+)"                                   # 1e-5, 1.0E-05
             r"|\s*[×x*·]\s*10\s*(?:\^|\*\*)\s*(?P<p>[-+]?\d+)"           # 1 × 10^-5, 2.5 * 10**-4
             r"|\s*[×x*·]\s*10(?P<s>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))")              # 1 × 10⁻⁵
NUMBER = re.compile(
    r"^(?P<approx>[~≈≃]\s*|" + APPROX_WORDS + r"\s+)?(?P<sign>[-+]\s*)?"
    r"(?:(?P<mant>" + _DIGITS + r")" + _EXPONENT + r"?"
    r"|10\s*(?:(?:\^|\*\*)\s*(?P<bp>[-+]?\d+)|(?P<bs>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)))"      # 10^-5, 10⁻⁵
    # a unit, a scale word, a unit word; never a power glued to the number (`64²` is 4096, not 64 of a unit `²`)
    r"(?P<tail>(?:(?:\s+|(?![⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]))[^\s\d][^\s]*)?(?:\s+[^\s\d][^\s]*){0,2})$")
_WORD = re.compile(r"^[^\W\d_][^\W\d_-]*(?:-[^\W\d_]+)?$")
TENSOR = re.compile(r"^tensor\(\s*(?P<body>\[.*\]|[^,()\[\]]+?)\s*(?:,\s*[a-z_]+=.*)?\)$", re.S)
ELEMENT = re.compile(r"\s*(\[|\]|,|True|False|[-+]?(?:inf|nan)|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*")
PRODUCT = re.compile(r"^\d+(?:\s*[×x*]\s*\d+)+$")
SHAPE = re.compile(r"^(?:torch\.Size\(\s*\[(?P<size>[^\]]*)\]\s*\)|\((?P<tuple>[^()]*)\)|\[(?P<list>[^\[\]]*)\])$")
DTYPE = re.compile(r"^(?:torch\.)?(?P<name>float(?:16|32|64)?|double|half|bfloat16|u?int(?:8|16|32|64)?|long"
                   r"|short|bool|complex(?:64|128)?|cfloat|cdouble)$")
FORMULA_CHARS = re.compile(r"^[\d\s\u00a0\u202f.,()+\-−*/×x·^²³⁰¹⁴⁵⁶⁷⁸⁹⌊⌋⌈⌉]+$")
# floor and ceiling as lecturers write them: `⌊(224 + 2 × 3 − 7) / 2⌋ + 1`, `floor(7 / 2)`, `7 // 2`
ROUNDING = re.compile(r"\b(?:math\.)?(?P<name>floor|ceil)\s*(?=\()")


@dataclass(frozen=True)
class Number:
    value: float
    tolerance: float          # the written precision: half a unit of the last digit, one unit under `~`
    percent: bool = False     # `86 %`: 0.86, or 86 when the value is itself a percentage
    kind: str | None = None   # what the unit says it is (grammar.Unit); None: a plain number
    unit: str = ""            # the unit as written, for messages
    bare: bool = False        # a scale alone (`M`): a count of anything, operations included


@dataclass(frozen=True)
class Shape:
    dims: tuple[int, ...]


@dataclass(frozen=True)
class Formula:
    values: tuple[float, ...]  # each side of `a = b = ...`, evaluated
    factors: tuple[int, ...] = ()  # `64 × 10`: also how lecturers write a shape
    tolerances: tuple[float, ...] = ()  # each side's: a number's written precision, 0 for arithmetic

    def side_holds(self, value: float, k: int) -> bool:
        """Does side `k` hold for `value`: exactly for arithmetic, at its written precision for a
        number (`1/64 + 1/9 = 0.1267`: 0.126736… holds at four decimals)?"""
        tolerance = self.tolerances[k] if k < len(self.tolerances) else 0.0
        return abs(value - self.values[k]) <= tolerance + 1e-9 * abs(self.values[k]) + 1e-12


@dataclass(frozen=True)
class Elements:
    """A tensor or list of numbers: nested lists of (value, tolerance), or one of them for `tensor(1.)`."""

    items: object


@dataclass(frozen=True)
class Sequence:
    """`16 → 32 → 64`: values in order, each part read as a value; `texts` as written, for messages
    and `--fix`, `arrows` the separators between them as written."""

    parts: tuple
    texts: tuple[str, ...]
    arrows: tuple[str, ...]


@dataclass(frozen=True)
class Dtype:
    name: str


@dataclass(frozen=True)
class Boolean:
    value: bool


@dataclass(frozen=True)
class Literal:
    """A Python literal: `'relu'`, `None`, `{'mean': 0.50}`, `(0.50, tensor(0.36))`. `pattern` is the
    same structure with each number as (value, tolerance of its written precision), so that a tuple
    or dict of floats reads as the lecturer means it, as a list does."""

    value: object
    pattern: object = None


Value = Number | Shape | Formula | Dtype | Boolean | Elements | Literal | Sequence


def read_value(text: str, lang: str) -> Value | None:
    """The value `text` states, or None when it is prose (or a blank)."""
    text = text.strip()
    if not text or is_blank(text):
        return None
    if text in ("True", "False"):
        return Boolean(text == "True")
    if (m := DTYPE.match(text)):
        return Dtype(m.group("name"))
    if (m := SHAPE.match(text)):
        inside = next(g for g in m.groups() if g is not None)
        shape = read_shape(inside)
        if shape is not None:
            return shape
        if m.group("list") is not None:
            return read_elements(text)
    if (m := TENSOR.match(text)):
        return read_elements(m.group("body"))
    if ARROW.search(text):
        return read_sequence(text, lang)
    return read_number(text, lang) or read_formula(text, lang) or read_literal(text) or _with_unit_word(text, lang)


ARROW = re.compile(r"\s*(?:→|->|⟶)\s*")


def read_sequence(text: str, lang: str) -> Sequence | None:
    """`16 → 32 → 64`: at least two parts, each a value (a unit word only after the last one:
    `224 → 112 → 56 pixels`); None when one of them is not (`64 → more channels` is prose)."""
    texts = ARROW.split(text)
    if len(texts) < 2 or not all(t.strip() for t in texts):
        return None
    parts = []
    for i, part in enumerate(texts):
        value = read_value(part, lang)
        if value is None or isinstance(value, Sequence):
            return None
        if i < len(texts) - 1 and isinstance(value, Number) and value.unit and value.kind is None:
            return None  # `64 canaux → 128`: a unit word goes after the last part
        parts.append(value)
    return Sequence(tuple(parts), tuple(t.strip() for t in texts), tuple(ARROW.findall(text)))


def _with_unit_word(text: str, lang: str) -> Formula | None:
    """A formula or a product followed by its unit word: `11 × 11 pixels`, `3 × 3 + 1 poids`."""
    m = re.match(r"^(?P<head>.*[\d)⌋⌉²³])\s+(?P<word>[^\W\d_][^\W\d_-]*)$", text, re.S)
    return read_formula(m.group("head"), lang) if m else None


def split_remark(text: str, lang: str) -> tuple[str, str]:
    """(value, remark) of a result comment: `32 (a scale and a shift)`, `(2, 5)  one mean per token`.
    The value is "" when the text does not start with one (a plain comment)."""
    text = text.strip()
    if read_value(text, lang) is not None:
        return text, ""
    cuts = [m.start() for m in re.finditer(r"\s{2,}", text)]  # a remark after two spaces
    if text.endswith(")"):
        cuts += [m.start() for m in re.finditer(r"\s+\(", text)]  # or in parentheses at the end
    for cut in sorted(cuts):
        head = text[:cut].strip()
        if head and read_value(head, lang) is not None:
            return head, text[cut:].strip()
    return "", text


def value_head(text: str, lang: str) -> tuple[str, str]:
    """(the longest start of `text`, cut at a space, that reads as a value; the rest): `4,2 Mo par lot`
    is (`4,2 Mo`, `par lot`); ("", text) when no start reads. A start whose last word only lengthens the
    unit as read (`4,2 Mo par`: bytes, in a unit `Mo par`) gives way to the shorter one that reads the
    same quantity."""
    words = text.split(" ")
    for n in range(len(words) - 1, 0, -1):
        claim = read_value(" ".join(words[:n]), lang)
        if claim is None:
            continue
        while n > 1 and isinstance(claim, Number):
            shorter = read_value(" ".join(words[:n - 1]), lang)
            if not (isinstance(shorter, Number)
                    and (shorter.value, shorter.kind, shorter.percent) == (claim.value, claim.kind, claim.percent)):
                break
            n, claim = n - 1, shorter
        return " ".join(words[:n]), " ".join(words[n:])
    return "", text


def prose_value(claim: str, lang: str) -> str:
    """The value a prose claim states: `4,2 Mo (par lot)` and `4,2 Mo  par lot` state `4,2 Mo`, as a
    result comment does; the slide still shows the whole text, and --fix rewrites the value alone.
    A claim is stripped when parsed (source.slides.make_expr), so a claim that is a value whole is
    split_remark's value.

    In prose, where nothing but the claim follows `=>`, the remark may also follow one space, as a
    lecturer writes it (`4,2 Mo par lot`, `12 weights per layer`). Such a remark holds words only: a
    number in it would be a typed number that no claim verifies, so `4,2 Mo pour 32 images` and
    `4,2 Mo (pour 32 images)` stay one claim, false, and compare.why_false says why."""
    value, remark = _value_and_remark(claim, lang)
    return value if value and not re.search(r"\d", remark) else claim


def remark_with_numbers(written: str, lang: str) -> tuple[str, str] | None:
    """(value, remark) of a claim that is a value followed by a remark holding a number, which a claim
    may not hold (prose_value); None for any other claim."""
    if read_value(written.strip(), lang) is not None:
        return None
    value, remark = _value_and_remark(written.strip(), lang)
    return (value, remark) if value and re.search(r"\d", remark) else None


def _value_and_remark(claim: str, lang: str) -> tuple[str, str]:
    """A prose claim's value and remark: after two spaces or in parentheses (split_remark), else after
    one space (value_head); ("", claim) when it does not start with a value."""
    value, remark = split_remark(claim, lang)
    return (value, remark) if value else value_head(claim, lang)


def read_elements(text: str) -> Elements | None:
    """`[0.0900, 0.2400]`, `[[1., 0.], [0., 1.]]`, `1.`: numbers (or booleans) in nested lists."""
    tokens, pos = [], 0
    while pos < len(text):
        m = ELEMENT.match(text, pos)
        if not m:
            return None
        tokens.append(m.group(1))
        pos = m.end()
    try:
        items, rest = _nested(tokens)
    except (IndexError, ValueError):
        return None
    return Elements(items) if not rest else None


def _nested(tokens: list[str]):
    head, rest = tokens[0], tokens[1:]
    if head != "[":
        return _element(head), rest
    items = []
    while rest[0] != "]":
        item, rest = _nested(rest)
        items.append(item)
        if rest[0] == ",":
            rest = rest[1:]
        elif rest[0] != "]":
            raise ValueError("expected , or ]")
    return items, rest[1:]


def _element(token: str):
    if token in ("True", "False"):
        return (token == "True", 0.0)
    if token in ("[", "]", ","):
        raise ValueError(token)
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2]) if "." in mantissa else 0
    if "inf" in token or "nan" in token:
        return (float(token), 0.0)
    if abs(int(exponent or 0)) > 308:
        raise ValueError(f"{token}: beyond any float")  # `tensor([1e999])`: not a value deck can read
    return (float(token), 10.0 ** (-decimals + int(exponent or 0)) / 2)


def read_literal(text: str) -> Literal | None:
    """A Python literal that is not a number: `'relu'`, `{'a': 1}`, `None`, `(0.50, 0.29)`, and
    tuples of PyTorch's 0-d tensors as it prints them, `(tensor(0.50), tensor(0.29))`."""
    if text[:1] not in "'\"{[(N":
        return None
    try:
        tree = ast.parse(text, mode="eval")
        pattern = _pattern(tree.body, text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        value = None  # tensors inside: only the pattern says what is written
    return Literal(value, pattern)


def _pattern(node: ast.AST, text: str):
    """The literal's structure, each number as (value, tolerance) from its written digits."""
    if isinstance(node, (ast.Tuple, ast.List)):
        return type(node).__name__.lower(), [_pattern(e, text) for e in node.elts]
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise ValueError("** in a literal")
        return "dict", {ast.literal_eval(cast(ast.expr, k)): _pattern(v, text) for k, v in zip(node.keys, node.values)}
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tensor"
            and len(node.args) == 1 and not node.keywords):
        return _pattern(node.args[0], text)  # a 0-d tensor as printed: its number
    number = node.operand if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) else node
    if isinstance(number, ast.Constant) and isinstance(number.value, float):
        segment = ast.get_source_segment(text, node)
        assert segment is not None  # `node` was parsed from `text`, so it has a position in it
        return "number", _element(segment.replace(" ", ""))
    return "exact", ast.literal_eval(node)


def read_shape(inside: str) -> Shape | None:
    parts = [p.strip() for p in inside.split(",")]
    if parts and parts[-1] == "" and len(parts) > 1:  # (32,)
        parts.pop()
    if parts == [""]:
        return Shape(())
    dims = []
    for p in parts:
        digits = SPACES.sub("", p)
        if not digits.isdigit():
            return None
        dims.append(int(digits))
    return Shape(tuple(dims))


def read_number(text: str, lang: str) -> Number | None:
    m = NUMBER.match(text.translate(MINUS).strip())
    if not m:
        return None
    unit = read_unit(m.group("tail"))
    if unit is None:
        return None
    if m.group("mant") is None:  # a bare power of ten: 10^-5
        mantissa, decimals = Decimal(1), 0
        exponent = int(m.group("bp") or m.group("bs").translate(SUPERSCRIPTS))
    else:
        resolved = _decimal_text(m.group("mant"), lang)
        if resolved is None:
            return None
        try:
            mantissa = Decimal(resolved)
        except InvalidOperation:
            return None
        decimals = len(resolved.partition(".")[2])
        power = m.group("e") or m.group("p") or (m.group("s") or "").translate(SUPERSCRIPTS)
        exponent = int(power) if power else 0
    sign = -1 if (m.group("sign") or "").strip() == "-" else 1
    try:
        return _number(mantissa, decimals, exponent, unit, sign, bool(m.group("approx")))
    except OverflowError:
        return None  # `1e999`: beyond any float (Python reads it as inf): not a value to compare


def _number(mantissa: Decimal, decimals: int, exponent: int, unit: Unit, sign: int, approx: bool) -> Number:
    """The number written, with the tolerance its written precision gives."""
    scale = unit.scale
    value = sign * float(mantissa) * 10.0 ** exponent * scale
    if approx:
        # `~ x`: x rounded at its last significant digit; trailing zeros of a whole number are not
        # significant (`~ 250 M`: 25 tens of millions). It holds when the value rounds to x, or is
        # within one unit of that digit and within 10 % of x: `~ 100` is not 150, `~ 2` is 2.4.
        last = -decimals if decimals else _trailing_zeros(mantissa)
        digit = 10.0 ** (last + exponent) * scale
        tolerance = max(digit / 2 * (1 - 1e-6), min(digit, abs(value) / 10))
    elif decimals or exponent or scale != 1.0 or unit.kind == "time":
        tolerance = 10.0 ** (-decimals + exponent) * scale / 2  # `0.33` for 1/3; `1,01 Go`; `2 MB`
    else:
        tolerance = 0.0  # a whole number (of weights, of bytes) is exact
    if not math.isfinite(value) or not math.isfinite(tolerance):
        raise OverflowError(value)  # `9e307 M`: inf, which every value would be "within"
    return Number(value, abs(tolerance), percent=unit.kind == "percent", kind=unit.kind, unit=unit.text,
                  bare=unit.bare)


@dataclass(frozen=True)
class Unit:
    scale: float = 1.0
    kind: str | None = None   # count, bytes, flops, macs, time, percent; None: a plain number or word
    text: str = ""            # as written: `GFLOPs`, `M weights`
    bare: bool = False        # a scale alone (`M`, `million`): a number of things, not bytes


def read_unit(tail: str) -> Unit | None:
    """What follows a number: a unit or suffix (`%`, `MB`, `GFLOPs`, `ms`, `M`), a scale word
    (`billion`, `milliards`), a unit word (`weights`, `poids`, `pixels`), in that order, each optional.
    None if anything else is left (`10 % du chemin` is prose)."""
    tokens = tail.split()
    scale, kind, bare = 1.0, None, False
    if tokens and (known := _unit_token(tokens[0])) is not None:
        (scale, kind, bare), tokens = known, tokens[1:]
    if tokens and scale == 1.0 and kind is None and tokens[0].lower() in SCALE_WORDS:
        scale, kind, bare, tokens = SCALE_WORDS[tokens[0].lower()], "count", True, tokens[1:]
        if len(tokens) == 2 and tokens[0].lower() in ("de", "d'", "d’", "of"):  # `60 millions de poids`
            tokens = tokens[1:]
        elif len(tokens) == 1 and tokens[0][:2].lower() in ("d'", "d’"):  # `4,2 millions d'octets`
            tokens = [tokens[0][2:]]
    if tokens:
        if len(tokens) > 1 or not _WORD.match(tokens[0]):
            return None
        said = next((k for k, words in KIND_WORDS.items() if tokens[0].lower() in words), None)
        if said is not None:
            if kind is not None and not bare and said != kind:
                return None  # `2 MB weights`: not a value deck can read
            kind, bare = said, False
        tokens = []
    return Unit(scale, kind, " ".join(tail.split()), bare)


def _unit_token(token: str) -> tuple[float, str | None, bool] | None:
    if token == "%":
        return 0.01, "percent", False
    if token in BYTES:
        return BYTES[token], "bytes", False
    if token in SCALES:
        return SCALES[token], "count", True
    if token in TIMES:
        return TIMES[token], "time", False
    if (m := PREFIXED.match(token)):
        word = m.group("word").lower()
        kind = "flops" if word.startswith("flop") else "macs" if word.startswith("mac") else "count"
        return _PREFIX[m.group("prefix")], kind, False
    return None


def _trailing_zeros(n: Decimal) -> int:
    digits = str(abs(int(n)))
    return len(digits) - len(digits.rstrip("0")) if digits.strip("0") else 0


def _decimal_text(raw: str, lang: str) -> str | None:
    """`524 800`, `524,800`, `1,5`, `2.30`, `1.024,5` -> a plain decimal text ('524800', '1.5', ...).

    Spaces and apostrophes group digits. A comma followed by exactly three digits groups them in
    English and is the decimal separator otherwise; a point is the decimal separator (Python code
    writes it in French decks too), unless a comma is the decimal one.
    """
    text = SPACES.sub("", raw)
    commas, points = text.count(","), text.count(".")
    if commas and points:  # one of them groups, the other (the last one written) is the decimal separator
        group, dec = (",", ".") if text.rfind(".") > text.rfind(",") else (".", ",")
        if text.count(dec) > 1 or not _groups_of_three(text.split(dec)[0], group):
            return None
        return text.replace(group, "").replace(dec, ".")
    if commas:
        if lang == "en" and _groups_of_three(text, ","):
            return text.replace(",", "")
        return text.replace(",", ".") if commas == 1 else None
    if points > 1:
        return text.replace(".", "") if _groups_of_three(text, ".") else None
    return text


def _groups_of_three(text: str, sep: str) -> bool:
    head, *rest = text.split(sep)
    return bool(rest) and 1 <= len(head) <= 3 and all(len(g) == 3 and g.isdigit() for g in rest)


def read_formula(text: str, lang: str) -> Formula | None:
    """`64 × (3 × 7² + 1)`, `1024 x 512 + 512 = 524 800`: each side's value (at least one operator)."""
    # `1/256 + 1/9 ≈ 0.115`: a side after `≈` holds as `≈ 0.115` does, at one unit of its last digit
    parts = re.split(r"\s*([=≈])\s*", text.strip())
    sides, approx = [p.strip() for p in parts[0::2]], [False] + [sep == "≈" for sep in parts[1::2]]
    if not all(sides) or not FORMULA_CHARS.match(ROUNDING.sub("", "".join(sides))):
        return None
    values, tolerances = [], []
    for side, about in zip(sides, approx):
        number = read_number("≈ " + side if about else side, lang)
        if number is not None and len(sides) > 1:
            values.append(number.value)
            tolerances.append(number.tolerance)
            continue
        value = evaluate_arithmetic(side)
        if value is None:
            return None
        values.append(value)
        tolerances.append(0.0)
    if len(sides) == 1 and read_number(text, lang) is not None:
        return None  # a plain number, not a formula
    factors = tuple(int(f) for f in re.split(r"\s*[×x*]\s*", text)) if PRODUCT.match(text) else ()
    return Formula(tuple(values), factors, tuple(tolerances))


def evaluate_arithmetic(written: str) -> float | None:
    """Value of `64 × (3 × 7² + 1)` or `1024 x 512 + 512`; None if it is not arithmetic."""
    text = written.translate(MINUS).replace("×", "*").replace("·", "*").replace("^", "**")
    text = ROUNDING.sub(lambda m: m.group("name"), text)  # `math.floor(` is `floor(`
    text = text.replace("⌊", "floor(").replace("⌈", "ceil(").replace("⌋", ")").replace("⌉", ")")
    text = re.sub(r"(?<=[\d)\s])x(?=[\s\d(])", "*", text)
    text = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "**" + m.group(1).translate(SUPERSCRIPTS), text)
    text = SPACES.sub("", text).replace(",", ".")
    if (not text or not re.fullmatch(r"(?:[\d+\-*/().]|floor\(|ceil\()+", text)
            or not re.search(r"[*+\-/]|floor|ceil", text.lstrip("-"))):
        return None
    try:
        return float(_arith(ast.parse(text, mode="eval").body))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, RecursionError):
        return None


def _arith(node) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _arith(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("floor", "ceil")
            and len(node.args) == 1 and not node.keywords):
        inside = _arith(node.args[0])
        return math.floor(inside) if node.func.id == "floor" else math.ceil(inside)
    if isinstance(node, ast.BinOp):
        a, b = _arith(node.left), _arith(node.right)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div):
            return a / b
        if isinstance(node.op, ast.FloorDiv):
            return a // b
        if isinstance(node.op, ast.Pow) and abs(b) <= 64 and abs(a) < 1e6:
            return a ** b
    raise ValueError("not arithmetic")
