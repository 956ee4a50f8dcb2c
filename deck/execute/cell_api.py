"""Helpers for lecture numbers, available in every cell and inline expression.

Each returns a small value object that prints the way a slide writes it, in the deck's language,
while keeping the exact value for checks (`int(formula(conv)) == nparams(conv)`).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..shared.locale import current_lang, format_approx, format_bytes, format_number
from ..shared.values import is_module, is_tensor

__all__ = ["shape", "nparams", "formula", "numel", "memory", "approx", "num", "Shape", "Formula"]


class Shape(tuple):
    """A tensor shape written as on a slide: (32, 512)."""

    def __str__(self) -> str:
        if len(self) == 1:
            return f"({self[0]},)"
        return "(" + ", ".join(str(d) for d in self) + ")"

    __repr__ = __str__

    def _deck_text_(self, in_code: bool = False) -> str:
        return str(self)


def shape(x) -> Shape:
    """The shape of a tensor (or a torch.Size / tuple / list) as a slide writes it."""
    dims = x.shape if hasattr(x, "shape") else x
    return Shape(int(d) for d in dims)


class Count(int):
    """A number of weights: an int that a claim knows is a count (`25.6 MB` of it is false)."""

    _deck_kind_ = "count"


def nparams(module, trainable_only: bool = False) -> Count:
    """Number of weights of a module; a parameter shared by two layers counts once."""
    return Count(sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only))


def numel(x) -> int:
    """Number of elements of a tensor or of a shape."""
    if hasattr(x, "numel"):
        return int(x.numel())
    total = 1
    for d in x:
        total *= int(d)
    return total


@dataclass(frozen=True)
class Quantity:
    """A value with its slide text, e.g. memory '1,01 Go' or an approximation '~ 250 M'.

    The text is made in the deck's language when the value is computed, in two spellings: prose
    (`1,01 Go` in French) and code, whose decimal separator is a point (`1.01 Go`).
    """

    value: float
    text: str
    code_text: str = ""
    kind: str | None = None   # what it counts, for claims: "count", "bytes", "macs", "flops", "time", "percent"

    @property
    def _deck_kind_(self) -> str | None:
        return self.kind

    def __str__(self) -> str:
        return self.text

    def _deck_text_(self, in_code: bool = False) -> str:
        return (self.code_text or self.text) if in_code else self.text

    def __int__(self) -> int:
        return int(self.value)

    def __float__(self) -> float:
        return float(self.value)


def memory(x, dtype_bytes: int | None = None) -> Quantity:
    """Memory taken by tensors (decimal units: Mo/Go in French, MB/GB in English).

    `x` may be a tensor, a module (its parameters and buffers), an optimizer (the state it holds per
    weight: none before its first `step()`), a shape (with `dtype_bytes`, 4 by default), or a list, tuple or dict of these. A tensor
    reached twice (a shared weight) counts once.
    """
    size = _bytes(x, dtype_bytes, set())
    return Quantity(size, format_bytes(size), format_bytes(size, in_code=True), kind="bytes")


def _bytes(x, dtype_bytes: int | None, seen: set[int]) -> int:
    if is_tensor(x):  # meta tensors too
        if id(x) in seen:
            return 0
        seen.add(id(x))
        return int(x.numel()) * (dtype_bytes or x.element_size())
    if is_module(x):
        return sum(_bytes(t, dtype_bytes, seen) for t in [*x.parameters(), *x.buffers()])
    if hasattr(x, "state") and hasattr(x, "param_groups"):  # an optimizer: its state per weight
        return sum(_bytes(v, dtype_bytes, seen) for state in x.state.values() for v in state.values())
    if isinstance(x, dict):
        return sum(_bytes(v, dtype_bytes, seen) for v in x.values())
    if isinstance(x, (tuple, list)) or type(x).__name__ == "Size":
        if x and all(isinstance(d, int) and not isinstance(d, bool) for d in x):  # a shape
            return numel(x) * (dtype_bytes or 4)
        return sum(_bytes(v, dtype_bytes, seen) for v in x)
    if isinstance(x, (int, float)):  # e.g. an optimizer's step count kept as a number
        return 0
    raise TypeError(f"memory() counts tensors, modules, optimizers, shapes and lists of them, "
                    f"not {type(x).__name__}")


def approx(value, digits: int = 2, unit: str = "") -> Quantity:
    """An order of magnitude as lecturers write it: approx(251658240) -> '~ 250 M'."""
    kind = getattr(value, "_deck_kind_", None)  # approx(nparams(m)) is still a count
    value = float(value)
    return Quantity(value, format_approx(value, digits, unit), format_approx(value, digits, unit, in_code=True),
                    kind=kind if isinstance(kind, str) else None)


def num(value, digits: int | None = None) -> str:
    """A number in the deck's language: 524800 -> '524 800' (fr) / '524,800' (en)."""
    return format_number(value, current_lang.get(), digits)


@dataclass(frozen=True)
class Formula:
    """The weight count of a layer written from its hyperparameters, e.g. 64 × (3 × 7² + 1)."""

    text: str
    value: int

    def __str__(self) -> str:
        return self.text

    def _deck_text_(self, in_code: bool = False) -> str:
        return self.text

    def __int__(self) -> int:
        return self.value

    def __eq__(self, other) -> bool:
        return int(other) == self.value if isinstance(other, (int, Formula)) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)


SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _kernel_text(kernel: tuple[int, ...]) -> tuple[str, int]:
    size = 1
    for k in kernel:
        size *= k
    if len(set(kernel)) == 1 and len(kernel) > 1:
        return f"{kernel[0]}{str(len(kernel)).translate(SUPERSCRIPTS)}", size
    return " × ".join(str(k) for k in kernel), size


def formula(layer) -> Formula:
    """Weight formula of a Linear or ConvNd layer; raises if it disagrees with the real count."""
    import torch.nn as nn

    has_bias = getattr(layer, "bias", None) is not None
    if isinstance(layer, nn.Linear):
        text = f"{layer.in_features} × {layer.out_features}" + (f" + {layer.out_features}" if has_bias else "")
        value = layer.in_features * layer.out_features + (layer.out_features if has_bias else 0)
    elif isinstance(layer, nn.modules.conv._ConvNd):
        per_group_in = layer.in_channels // layer.groups
        ktext, ksize = _kernel_text(tuple(layer.kernel_size))
        inner = f"{per_group_in} × {ktext}"
        if has_bias:
            text = f"{layer.out_channels} × ({inner} + 1)"
        else:
            text = f"{layer.out_channels} × {inner}"
        value = layer.out_channels * (per_group_in * ksize + (1 if has_bias else 0))
    else:
        raise TypeError(f"formula() knows Linear and ConvNd layers, not {type(layer).__name__}")
    real = nparams(layer)
    if value != real:
        raise ValueError(f"formula {text} = {value} but the layer has {real} weights")
    return Formula(text, value)
