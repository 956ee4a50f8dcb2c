"""The values claims were checked against, kept in a cache entry so that a cached item's claims are
verified again on every build (a verdict is never stored: an entry says what the code computed, and
the check decides what is true of it, with today's rules).

Values are kept as JSON, never pickled: numbers, text, booleans, tuples (a shape), lists and dicts
of them; tensors as their shape, dtype, device and elements (a stand-in that answers what the
comparison asks of a tensor, so that a warm build imports no torch); deck's own values (`Quantity`,
`Formula`, ...) as their class, rebuilt from deck's modules only, and their fields; an expected
exception as its class names and message. What cannot be kept makes the item uncached
(`Unrecordable`): it runs again, which is always right.
"""
from __future__ import annotations

import dataclasses
import importlib
import math
from types import SimpleNamespace
from typing import Any

from ..shared.values import is_tensor

MAX_ELEMENTS = 100_000   # a tensor with more elements is not kept (its claims re-run)
MAX_TEXT = 16_384        # nor one whose printed form is longer


class Unrecordable(Exception):
    """A value that cannot be kept faithfully."""


def encode(value: Any, depth: int = 0) -> Any:
    if depth > 50:
        raise Unrecordable("nested too deeply")
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"t": "float", "repr": repr(value)}
    if is_tensor(value):
        return _tensor(value)
    if type(value) in (list, tuple) or (isinstance(value, tuple) and type(value).__module__ == "torch"):
        return {"t": "tuple" if isinstance(value, tuple) else "list", "items": [encode(v, depth + 1) for v in value],
                "str": _text(value)}
    if type(value) is dict:
        return {"t": "dict", "items": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if type(value).__module__.startswith("deck."):
        return _deck_value(value, depth)
    if type(value).__module__ == "torch" and type(value).__name__ == "dtype":
        return {"t": "dtype", "str": str(value)}
    raise Unrecordable(f"a {type(value).__module__}.{type(value).__qualname__}")


def _text(value) -> str:
    text = str(value)
    if len(text) > MAX_TEXT:
        raise Unrecordable("its printed form is too long")
    return text


def _tensor(value) -> dict:
    meta = value.device.type == "meta"
    if value.numel() > MAX_ELEMENTS:
        raise Unrecordable("a tensor too large to keep")
    return {"t": "tensor", "shape": list(value.shape), "dtype": str(value.dtype), "device": value.device.type,
            "values": None if meta else value.detach().cpu().tolist(), "str": _text(value)}


def _deck_value(value, depth: int) -> dict:
    cls = type(value)
    state = getattr(value, "__dict__", None)
    if state is None:
        raise Unrecordable(f"{cls.__qualname__} has no fields to keep")
    base = list(value) if isinstance(value, tuple) else None  # cell_api.Shape is a tuple
    number = value.real if isinstance(value, (int, float)) and not isinstance(value, bool) else None  # cell_api.Count
    return {"t": "deck", "module": cls.__module__, "class": cls.__qualname__,
            "fields": {k: encode(v, depth + 1) for k, v in state.items()},
            "tuple": None if base is None else [encode(v, depth + 1) for v in base],
            "number": None if number is None else encode(type(number)(number), depth + 1)}


def decode(data: Any) -> Any:
    """The value (or its stand-in) `encode` kept; ValueError/KeyError/TypeError on a malformed one."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is not dict:
        raise ValueError("not a kept value")
    tag = data["t"]
    if tag == "float":
        return float(data["repr"])
    if tag in ("tuple", "list"):
        items = [decode(v) for v in data["items"]]
        return _Tuple(items, str(data["str"])) if tag == "tuple" else items
    if tag == "dict":
        return {_hashable(decode(k)): decode(v) for k, v in data["items"]}
    if tag == "tensor":
        return RecordedTensor(data)
    if tag == "dtype":
        return RecordedText(str(data["str"]))
    if tag == "deck":
        return _rebuild(data)
    raise ValueError(f"unknown kept value {tag!r}")


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def _rebuild(data: dict):
    module = str(data["module"])
    if not module.startswith("deck."):
        raise ValueError("only deck's own values are rebuilt")
    cls: Any = importlib.import_module(module)
    for part in str(data["class"]).split("."):
        cls = getattr(cls, part)
    if not isinstance(cls, type):
        raise ValueError("not a class")
    base, number = data.get("tuple"), data.get("number")
    if base is not None:
        obj: Any = tuple.__new__(cls, [decode(v) for v in base])
    elif number is not None:
        obj = cls.__new__(cls, decode(number))  # a number of deck's (a Count is an int)
    else:
        obj = object.__new__(cls)
    for name, field in dict(data["fields"]).items():
        object.__setattr__(obj, str(name), decode(field))  # frozen dataclasses too
    if dataclasses.is_dataclass(obj):
        dataclasses.fields(obj)  # a class that is no longer the one kept fails later, in the comparison
    return obj


class _Tuple(tuple):
    """A tuple as it printed (`torch.Size([2, 3])`): shapes compare as tuples, text as it was shown."""

    _text: str

    def __new__(cls, items, text: str):
        made = super().__new__(cls, items)
        made._text = text
        return made

    def __str__(self) -> str:
        return self._text


class RecordedText(str):
    """A value that is its printed form (a dtype: `torch.float32`)."""


class RecordedTensor:
    """What the comparison asks of a tensor: its shape, dtype, device, elements and printed form."""

    grad_fn = None

    def __init__(self, data: dict):
        self.shape = _Tuple([int(d) for d in data["shape"]], f"torch.Size({list(data['shape'])})")
        self.dtype = RecordedText(str(data["dtype"]))
        self.device = SimpleNamespace(type=str(data["device"]))
        self._values = data["values"]
        self._text = str(data["str"])

    def dim(self) -> int:
        return len(self.shape)

    def numel(self) -> int:
        return math.prod(self.shape)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def detach(self):
        return self

    def cpu(self):
        return self

    def tolist(self):
        if self._values is None:
            raise RuntimeError("a meta tensor has no values")
        return self._values

    def item(self):
        if self._values is None:
            raise RuntimeError("a meta tensor has no value")
        if self.numel() != 1:
            raise RuntimeError("a tensor with more than one element has no single value")
        value = self._values
        while isinstance(value, list):
            value = value[0]
        return value

    def __str__(self) -> str:
        return self._text

    __repr__ = __str__


def exception_record(raised: BaseException | None) -> dict | None:
    if raised is None:
        return None
    return {"names": [k.__name__ for k in type(raised).__mro__], "message": _text(raised)}


def exception_from(record: dict | None) -> BaseException | None:
    """An exception whose class names (its MRO's) and message are those kept."""
    if record is None:
        return None
    cls: type = BaseException
    for name in reversed([str(n) for n in record["names"]]):
        if name not in ("object", "BaseException"):
            cls = type(name, (cls,), {"__str__": lambda self: self.args[0]})
    return cls(str(record["message"]))
