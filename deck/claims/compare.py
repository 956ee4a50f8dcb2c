"""Whether a written value is true of a computed one, as a reader means it.

Shapes compare as tuples whatever their spelling; numbers within the tolerance their written
precision implies (`0.33` for 1/3, `~ 0.86` for 0.85 to 0.87, `~ 250 M` for 240 to 260 M); formulas
by their arithmetic value; dtypes by what they name (`float` is `float32`). Text that is not a value
(see grammar.py) is compared as text, spaces aside.
"""
from __future__ import annotations

import math

from ..shared.values import is_tensor
from .grammar import (
    SPACES,
    Boolean,
    Dtype,
    Elements,
    Formula,
    Literal,
    Number,
    Sequence,
    Shape,
    Value,
    read_value,
    remark_with_numbers,
)


def holds(written: str, value, lang: str, shown: str = "") -> bool:
    """Is the written text a true statement of `value`? `shown` is how deck would print it."""
    written = written.strip()
    if shown and _same_text(written, shown):
        return True
    claim = read_value(written, lang)
    if claim is None:
        return _same_text(written, str(value))
    return value_holds(claim, value)


def value_holds(claim: Value, value) -> bool:
    if isinstance(claim, Sequence):
        items = sequence_of(value)
        return (items is not None and len(items) == len(claim.parts)
                and all(value_holds(part, item) for part, item in zip(claim.parts, items)))
    if isinstance(claim, Shape):
        if shape_of(value) is None and _elements_of(value) is not None:  # `[1, 2, 3]` of a list or tensor
            return elements_hold([(d, 0.0) for d in claim.dims], value)
        return shape_of(value) == claim.dims
    if isinstance(claim, Elements):
        return elements_hold(claim.items, value)
    if isinstance(claim, Literal):
        return literal_holds(claim.pattern, value)
    if isinstance(claim, Formula) and claim.factors and shape_of(value) is not None:
        return shape_of(value) == claim.factors  # `64 × 10` for a (64, 10) shape
    if isinstance(claim, Boolean):
        return isinstance(value, bool) and value == claim.value or _is_bool_tensor(value, claim.value)
    if isinstance(claim, Dtype):
        return dtype_matches(claim.name, value)
    number = number_of(value)
    if number is None:
        return False
    if isinstance(claim, Formula):
        if len(set(claim.factors)) == 1 and len(claim.factors) > 1 and number == claim.factors[0]:
            return True  # `11 × 11`: a square's side, as a per-axis size is written
        return all(claim.side_holds(number, k) for k in range(len(claim.values)))
    if isinstance(claim, Number):
        if kind_conflict(claim, value):
            return False
        # `86 %` holds for 0.86, and for 86 when the code computes a percentage itself
        scales = (1, 100) if claim.percent else (1,)
        return any(abs(number - claim.value * k) <= claim.tolerance * k + 1e-9 * abs(claim.value * k) for k in scales)
    return False


KIND_NAMES = {"count": "a count", "bytes": "bytes", "flops": "FLOPs", "macs": "multiply-adds (MACs)",
              "time": "a time", "percent": "a percentage"}


def kind_of(value) -> str | None:
    """What deck knows a value is (`nparams`: a count, `memory`: bytes, `macs`, `flops`), else None."""
    kind = getattr(value, "_deck_kind_", None)
    return kind if isinstance(kind, str) and kind in KIND_NAMES else None


def kind_conflict(claim: Number, value) -> str:
    """Why the claim's unit cannot be said of the value ("" when it can): a count written in bytes,
    bytes written as a count, MACs written as FLOPs. A plain number, a unit word deck does not know,
    or a value whose kind deck does not know accepts any unit."""
    kind = kind_of(value)
    if claim.kind is None or kind is None or claim.kind == kind:
        return ""
    if claim.bare and kind in ("macs", "flops"):  # `4.1 G` of 4.1 billion multiply-adds
        return ""
    written = "in bytes" if claim.kind == "bytes" else f"as {KIND_NAMES[claim.kind]}"
    why = f"{KIND_NAMES[kind]} written {written} (`{claim.unit}`)"
    if {kind, claim.kind} == {"macs", "flops"}:
        why += "; one multiply-add is 2 FLOPs"
    return why


def why_false(written: str, value, lang: str) -> str:
    """What makes a false claim false beyond its digits, for the message ("" if only the digits)."""
    claim = read_value(written.strip(), lang)
    remark = remark_with_numbers(written, lang)
    if remark:
        return (f"only `{remark[0]}` reads as a value, and the words after it hold a number (`{remark[1]}`) that no "
                "claim checks: end the claim after the value and write the rest after the closing backquote")
    return kind_conflict(claim, value) if isinstance(claim, Number) else ""


def literal_holds(pattern, value) -> bool:
    """A literal's pattern (grammar._pattern) against a value: the same structure, each written float
    within its precision (a 0-d tensor is its number), everything else equal and of the same type."""
    kind, written = pattern
    if kind == "number":
        number = number_of(value)
        return number is not None and not isinstance(value, bool) and _match(written, number)
    if kind in ("tuple", "list"):
        if is_tensor(value) and kind == "list":
            value = _elements_of(value)
        return (isinstance(value, tuple if kind == "tuple" else list) and len(value) == len(written)
                and all(literal_holds(p, v) for p, v in zip(written, value)))
    if kind == "dict":
        return (isinstance(value, dict) and value.keys() == written.keys()
                and all(literal_holds(written[k], value[k]) for k in written))
    if isinstance(written, int) and not isinstance(written, bool) and not isinstance(value, bool):
        number = number_of(value)  # a whole number: exact, from an int or a 0-d tensor
        return number is not None and number == written
    return type(written) is type(value) and written == value


def elements_hold(items, value) -> bool:
    """Each written number (with its tolerance) against the tensor's or list's element at its place."""
    actual = _elements_of(value)
    return actual is not None and _match(items, actual)


def sequence_of(value) -> list | None:
    """The items a `16 → 32 → 64` claim is about: a list's or tuple's (a shape's), a 1-d tensor's."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if is_tensor(value) and value.dim() == 1 and value.device.type != "meta":
        return value.detach().tolist()
    return None


def _elements_of(value):
    if is_tensor(value):  # grad_fn and dtype aside
        if value.device.type == "meta":
            return None  # shapes only: there are no values to compare
        return value.detach().tolist()
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, list, tuple)) for v in value):
        return value
    return None


def _match(items, actual) -> bool:
    if isinstance(items, list):
        return (isinstance(actual, (list, tuple)) and len(items) == len(actual)
                and all(_match(i, a) for i, a in zip(items, actual)))
    if isinstance(actual, (list, tuple)):
        return False
    written, tolerance = items
    if isinstance(written, bool) or isinstance(actual, bool):
        return written == actual
    if math.isnan(written) or math.isinf(written):
        return (math.isnan(written) and math.isnan(actual)) or written == actual
    return abs(actual - written) <= tolerance + 1e-9 * abs(written)


def _same_text(a: str, b: str) -> bool:
    return SPACES.sub(" ", a.strip()) == SPACES.sub(" ", b.strip())


def shape_of(value) -> tuple[int, ...] | None:
    if hasattr(value, "dim") and hasattr(value, "numel"):
        return None  # a tensor is not a shape; its .shape is
    if isinstance(value, tuple) and all(isinstance(d, int) and not isinstance(d, bool) for d in value):
        return tuple(value)
    return None


def number_of(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "item") and getattr(value, "numel", lambda: 1)() == 1 and getattr(value, "shape", None) is not None:
        try:
            item = value.item()
        except (RuntimeError, ValueError):  # a meta tensor has no value
            return None
        return float(item) if isinstance(item, (int, float)) and not isinstance(item, bool) else None
    inner = getattr(value, "value", None)  # Formula, Quantity: a value with its slide text
    if hasattr(value, "_deck_text_") and isinstance(inner, (int, float)) and not isinstance(inner, bool):
        return float(inner)
    return None


def _is_bool_tensor(value, expected: bool) -> bool:
    if hasattr(value, "item") and getattr(value, "numel", lambda: 0)() == 1:
        try:
            return value.item() is expected
        except (RuntimeError, ValueError):
            return False
    return False


ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32",
           "short": "int16", "cfloat": "complex64", "cdouble": "complex128", "complex": "complex64"}


def dtype_matches(name: str, value) -> bool:
    """`float32` names torch.float32 (and numpy's float32); `float` is float32, as torch says."""
    if value is None:
        return False
    shown = str(value).removeprefix("torch.")
    return ALIASES.get(name, name) == ALIASES.get(shown, shown)
