"""Helpers for lecture numbers, available in every cell and inline expression.

Each returns a small value object that prints the way a slide writes it, in the deck's language,
while keeping the exact value for checks (`int(formula(conv)) == nparams(conv)`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..shared.locale import current_lang, format_approx, format_bytes, format_number
from ..shared.values import is_module, is_tensor

__all__ = ["shape", "nparams", "formula", "numel", "memory", "approx", "num", "Shape", "Formula",
           "macs", "flops", "receptive_field", "out_size", "size_formula", "stage_shapes"]


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
    """A number of weights: an int that a claim knows is a count (`25.6 MB` of it is false).

    Counts added or subtracted stay a count (`nparams(a) + nparams(b)`, and `sum()` of them, which
    starts from 0); anything else (`4 * nparams(m)`: bytes?) is a plain number."""

    _deck_kind_ = "count"

    def __add__(self, other):
        total = int(self) + other
        return Count(total) if isinstance(other, Count) else total

    def __radd__(self, other):
        total = other + int(self)
        return Count(total) if isinstance(other, Count) or (type(other) is int and other == 0) else total

    def __sub__(self, other):
        diff = int(self) - other
        return Count(diff) if isinstance(other, Count) else diff


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

    # Arithmetic on quantities is arithmetic on their values (`memory(a) / memory(b)`, a ratio):
    # the result is a plain number, its kind and text left behind.
    def __add__(self, other):
        return self.value + float(other)

    def __radd__(self, other):
        return float(other) + self.value

    def __sub__(self, other):
        return self.value - float(other)

    def __rsub__(self, other):
        return float(other) - self.value

    def __mul__(self, other):
        return self.value * float(other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self.value / float(other)

    def __rtruediv__(self, other):
        return float(other) / self.value

    def __lt__(self, other):
        return self.value < float(other)

    def __gt__(self, other):
        return self.value > float(other)


def memory(x, dtype_bytes: int | None = None) -> Quantity:
    """Memory taken by tensors (decimal units: Mo/Go in French, MB/GB in English).

    `x` may be a tensor, a module (its parameters and buffers), an optimizer (the state it holds per
    weight: none before its first `step()`), a shape (with `dtype_bytes`, 4 by default), or a list, tuple or dict
    of these. A tensor
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
    """Weight formula of a layer from its hyperparameters (Linear, ConvNd, BatchNorm, LayerNorm,
    GroupNorm, Embedding, RNN/LSTM/GRU, MultiheadAttention, Transformer encoder and decoder layers);
    raises if it disagrees with the real count."""
    text, value = _formula_parts(layer)
    real = nparams(layer)
    if value != real:
        raise ValueError(f"formula {text} = {value} but the layer has {real} weights")
    return Formula(text, value)


def _formula_parts(layer) -> tuple[str, int]:
    import torch.nn as nn

    kinds: list[tuple[type | tuple[type, ...], Callable[[Any], tuple[str, int]]]] = [
             (nn.Linear, _linear_formula), (nn.modules.conv._ConvNd, _conv_formula),
             (nn.modules.batchnorm._NormBase, _batchnorm_formula), (nn.LayerNorm, _layernorm_formula),
             (nn.GroupNorm, _groupnorm_formula), (nn.Embedding, _embedding_formula),
             (nn.RNNBase, _rnn_formula), (nn.MultiheadAttention, _attention_formula),
             ((nn.TransformerEncoderLayer, nn.TransformerDecoderLayer), _transformer_layer_formula)]
    for kind, parts in kinds:
        if isinstance(layer, kind):
            return parts(layer)
    raise TypeError(f"formula() knows Linear, ConvNd, BatchNorm, LayerNorm, GroupNorm, Embedding, "
                    f"RNN/LSTM/GRU, MultiheadAttention and Transformer layers, not {type(layer).__name__}")


def _linear_formula(layer) -> tuple[str, int]:
    has_bias = layer.bias is not None
    text = f"{layer.in_features} × {layer.out_features}" + (f" + {layer.out_features}" if has_bias else "")
    return text, layer.in_features * layer.out_features + (layer.out_features if has_bias else 0)


def _conv_formula(layer) -> tuple[str, int]:
    has_bias = layer.bias is not None
    per_group_in = layer.in_channels // layer.groups
    ktext, ksize = _kernel_text(tuple(layer.kernel_size))
    inner = f"{per_group_in} × {ktext}"
    text = f"{layer.out_channels} × ({inner} + 1)" if has_bias else f"{layer.out_channels} × {inner}"
    return text, layer.out_channels * (per_group_in * ksize + (1 if has_bias else 0))


def _batchnorm_formula(layer) -> tuple[str, int]:
    """A scale γ and a shift β per channel; the running statistics are buffers, not weights."""
    return (f"2 × {layer.num_features}", 2 * layer.num_features) if layer.affine else ("0", 0)


def _layernorm_formula(layer) -> tuple[str, int]:
    """γ (and β) per element of the normalised shape."""
    if not layer.elementwise_affine:
        return "0", 0
    size = numel(layer.normalized_shape)
    shape = " × ".join(str(d) for d in layer.normalized_shape)
    if layer.bias is None:
        return shape, size
    return (f"2 × {shape}" if len(layer.normalized_shape) == 1 else f"2 × ({shape})"), 2 * size


def _groupnorm_formula(layer) -> tuple[str, int]:
    return (f"2 × {layer.num_channels}", 2 * layer.num_channels) if layer.affine else ("0", 0)


def _embedding_formula(layer) -> tuple[str, int]:
    return f"{layer.num_embeddings} × {layer.embedding_dim}", layer.num_embeddings * layer.embedding_dim


RNN_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _rnn_formula(layer) -> tuple[str, int]:
    """Per layer and direction: each gate has h × (input + hidden) weights and two biases of h
    (PyTorch keeps b_ih and b_hh); an LSTM with proj_size adds its h × r projection."""
    gates, h, r = RNN_GATES[layer.mode], layer.hidden_size, layer.proj_size or layer.hidden_size
    directions = 2 if layer.bidirectional else 1
    terms, value = [], 0
    for index in range(layer.num_layers):
        inputs = layer.input_size if index == 0 else directions * r
        inner = f"{h} × ({inputs} + {r})" + (f" + 2 × {h}" if layer.bias else "")
        term = inner if gates == 1 else f"{gates} × {_grouped(inner)}"
        if layer.proj_size:
            term = f"{term} + {h} × {r}"
        per_direction = gates * (h * (inputs + r) + (2 * h if layer.bias else 0)) + (h * r if layer.proj_size else 0)
        value += directions * per_direction
        terms.append(f"2 × {_grouped(term)}" if directions == 2 else term)
    if len(terms) > 2:  # the layers after the first have the same input: written once, times their count
        terms = [terms[0], f"{len(terms) - 1} × {_grouped(terms[1])}"]
    return " + ".join(terms), value


def _grouped(text: str) -> str:
    """A term in parentheses when it is a sum at its top level (what × binds to must be all of it)."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and text[i:i + 3] in (" + ", " − "):
            return f"({text})"
    return text


def _attention_formula(layer) -> tuple[str, int]:
    """The query, key and value projections and the output projection, each E × E + E when the keys
    and values have E features: 4 × (E × E + E)."""
    e, has_bias = layer.embed_dim, layer.in_proj_bias is not None
    if layer._qkv_same_embed_dim:
        text = f"4 × ({e} × {e} + {e})" if has_bias else f"4 × {e} × {e}"
        value = 4 * (e * e + (e if has_bias else 0))
    else:
        text = f"{e} × ({e} + {layer.kdim} + {layer.vdim})" + (f" + 3 × {e}" if has_bias else "")
        text += f" + {e} × {e}" + (f" + {e}" if layer.out_proj.bias is not None else "")
        value = e * (e + layer.kdim + layer.vdim) + (3 * e if has_bias else 0) + e * e
        value += e if layer.out_proj.bias is not None else 0
    if layer.bias_k is not None:
        text, value = f"{text} + 2 × {e}", value + 2 * e
    return text, value


def _transformer_layer_formula(layer) -> tuple[str, int]:
    """The sum of its parts, each written by its own formula: attention(s), the two linear layers of
    the feed-forward block, the layer norms."""
    parts = [_formula_parts(child) for _, child in layer.named_children() if nparams(child)]
    return " + ".join(_grouped(text) for text, _ in parts), sum(v for _, v in parts)


# The ConvNet helpers live in their own module, which builds on the value types above.
from .convnet_helpers import flops, macs, out_size, receptive_field, size_formula, stage_shapes  # noqa: E402
