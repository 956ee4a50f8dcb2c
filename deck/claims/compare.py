"""Reading numbers and shapes as a slide writes them, and deciding whether they are true.

A written value is compared with the computed one the way a reader would: shapes as tuples
whatever their spelling, numbers in the deck's language with the tolerance their written precision
implies (`0.33` for 1/3, `~ 250 M` for 251 658 240), formulas by their arithmetic value.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
INT_TUPLE = re.compile(r"^\(?\[?\s*(-?\d+\s*(?:,\s*-?\d+\s*)*),?\s*\]?\)?$")
SUFFIX_SCALE = {"k": 1e3, "K": 1e3, "M": 1e6, "Md": 1e9, "G": 1e9, "B": 1e9, "T": 1e12}
BYTE_SCALE = {"o": 1, "B": 1, "ko": 1e3, "kB": 1e3, "Ko": 1e3, "Mo": 1e6, "MB": 1e6, "Go": 1e9,
              "GB": 1e9, "To": 1e12, "TB": 1e12}
SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
def parse_shape(written: str) -> tuple[int, ...] | None:
    text = written.strip()
    text = re.sub(r"^torch\.Size\s*\(\s*", "", text)
    text = re.sub(r"\)\s*$", "", text) if written.strip().startswith("torch.Size") else text
    text = SPACES.sub(" ", text)
    m = INT_TUPLE.match(text.strip())
    if not m:
        return None
    return tuple(int(x) for x in m.group(1).replace(" ", "").split(","))


def parse_number(written: str, lang: str) -> tuple[float, float] | None:
    """Return (value, tolerance) of a written number such as '524 800', '1,5', '~ 250 M', '1,01 Go'."""
    text = written.strip()
    approx = text.startswith(("~", "≈"))
    text = text.lstrip("~≈ \u00a0\u202f")
    m = re.match(r"^(-?[\d\s\u00a0\u202f.,']+)\s*([A-Za-z]{0,2})$", text)
    if not m:
        return None
    digits, suffix = m.group(1).strip(), m.group(2)
    scale = SUFFIX_SCALE.get(suffix) or BYTE_SCALE.get(suffix) if suffix else 1.0
    if scale is None:
        return None
    decimal_sep, group_sep = (",", ".") if lang == "fr" else (".", ",")
    digits = SPACES.sub("", digits).replace(group_sep, "")
    if lang == "fr" and digits.count(".") == 1 and "," not in digits:
        digits = digits.replace(".", "")  # tolerate a dot used as a French thousands separator
    digits = digits.replace(decimal_sep, ".")
    try:
        number = Decimal(digits)
    except InvalidOperation:
        return None
    exponent = number.as_tuple().exponent
    if approx:
        # Under `~`, trailing zeros of an integer are not significant: `~ 250 M` means 25 tens of millions.
        stripped = number.normalize().as_tuple().exponent if number == number.to_integral() else exponent
        unit = Decimal(10) ** stripped
    else:
        unit = Decimal(10) ** exponent if exponent < 0 else Decimal(0)
    if not approx and suffix and scale != 1.0:
        unit = max(unit, Decimal(10) ** exponent)  # '1,01 Go' is rounded at its last digit
    return float(number) * scale, float(unit) / 2 * scale


def evaluate_formula(written: str) -> float | None:
    """Value of an arithmetic formula such as '64 × (3 × 7² + 1)' or '1024 x 512 + 512'."""
    text = written.replace("×", "*").replace("·", "*").replace("^", "**")
    text = re.sub(r"(?<=[\d)\s])x(?=[\s\d(])", "*", text)
    text = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "**" + m.group(1).translate(SUPERSCRIPT_DIGITS), text)
    text = SPACES.sub("", text)
    if not text or not re.fullmatch(r"[\d+\-*/().]+", text) or not re.search(r"[*+\-/]", text.lstrip("-")):
        return None
    import ast

    try:
        tree = ast.parse(text, mode="eval")
        return float(_arith(tree.body))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError):
        return None


def _arith(node) -> float:
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_arith(node.operand)
    if isinstance(node, ast.BinOp):
        a, b = _arith(node.left), _arith(node.right)
        ops = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}
        if type(node.op) in ops:
            return ops[type(node.op)]
        if isinstance(node.op, ast.Div):
            return a / b
        if isinstance(node.op, ast.Pow) and abs(b) <= 64:
            return a ** b
    raise ValueError("not arithmetic")


def shape_of(value) -> tuple[int, ...] | None:
    if hasattr(value, "shape") and not isinstance(value, (int, float)) and hasattr(value, "dim"):
        return None  # a tensor is not a shape; its .shape is
    if isinstance(value, tuple) and all(isinstance(d, int) for d in value):
        return tuple(value)
    return None


def number_of(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "item") and getattr(value, "numel", lambda: 0)() == 1:
        return float(value.item())
    for attr in ("value",):
        if hasattr(value, attr) and isinstance(getattr(value, attr), (int, float)):
            return float(getattr(value, attr))
    return None


def holds(written: str, value, lang: str, shown: str = "") -> bool:
    """Is the written text a true statement of `value`? `shown` is how deck would print it."""
    written = written.strip()
    if shown and SPACES.sub(" ", written) == SPACES.sub(" ", shown.strip()):
        return True
    shape = shape_of(value)
    if shape is not None:
        return parse_shape(written) == shape
    number = number_of(value)
    if number is not None:
        parsed = parse_number(written, lang)
        if parsed is not None:
            target, tol = parsed
            return math.isclose(number, target, rel_tol=0, abs_tol=tol + 1e-9 * abs(target))
        formula = evaluate_formula(written)
        if formula is not None:
            return math.isclose(number, formula, rel_tol=1e-12)
        return False
    return SPACES.sub(" ", written) == SPACES.sub(" ", str(value).strip())
