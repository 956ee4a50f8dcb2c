"""ConvNet numbers for cells: operation counts, receptive fields, output sizes with their formula, and
the output shape of each stage.

Models run on the meta device (shapes only: no memory, no time) wherever the answer needs no values;
the model itself is never changed: its weights are swapped for stand-ins for the duration of one call
(`torch.func.functional_call`) and its training flags are put back.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import cast

from ..shared.locale import current_lang, format_number, round_significant
from .cell_api import Formula, Quantity, Shape

__all__ = ["macs", "flops", "receptive_field", "out_size", "size_formula", "stage_shapes"]

# An operation count's kind and its unit word. `torch.utils.flop_counter.FlopCounterMode` counts a
# multiply-add as 2 FLOPs; torchvision's model cards ("GFLOPS 1.81" for ResNet-18) give multiply-adds.
OPERATION_UNITS = {"macs": "MACs", "flops": "FLOPs"}
FLOPS_PER_MAC = 2
SI_PREFIXES = ["", "k", "M", "G", "T", "P"]


# --- operation counts --------------------------------------------------------------------------
def macs(model, input_size) -> Quantity:
    """Multiply-adds of one forward pass on an input of `input_size` (batch included, e.g.
    (1, 3, 224, 224)), as torchvision's model cards count them: `1.81 GMACs` for ResNet-18."""
    return _operations(_count_flops(model, input_size) // FLOPS_PER_MAC, "macs")


def flops(model, input_size) -> Quantity:
    """Floating-point operations of one forward pass: 2 per multiply-add, as torch's
    FlopCounterMode counts (`3.63 GFLOPs` for ResNet-18 on (1, 3, 224, 224))."""
    return _operations(_count_flops(model, input_size), "flops")


def in_kind(value: Quantity, kind: str) -> float:
    """An operation count in the other convention: in_kind(macs(...), "flops") is twice the MACs."""
    if value.kind not in OPERATION_UNITS or kind not in OPERATION_UNITS:
        raise ValueError(f"in_kind() converts MACs and FLOPs, not {value.kind} to {kind}")
    factor = {("macs", "flops"): FLOPS_PER_MAC, ("flops", "macs"): 1 / FLOPS_PER_MAC}.get((value.kind, kind), 1)
    return value.value * factor


def operations_convention(value: Quantity) -> str:
    """Which convention an operation count follows, for a claim that writes the other unit:
    "macs() counts multiply-adds: 1.81 GMACs = 3.63 GFLOPs (FLOPs = 2 × MACs, as torch's
    FlopCounterMode counts; torchvision's "GFLOPS" are MACs)"."""
    if value.kind not in OPERATION_UNITS:
        raise ValueError(f"operations_convention() describes MACs and FLOPs, not {value.kind}")
    other = "flops" if value.kind == "macs" else "macs"
    what = "multiply-adds" if value.kind == "macs" else "floating-point operations"
    both = f"{value.code_text} = {_operation_text(in_kind(value, other), other, True)}"
    return (f"{value.kind}() counts {what}: {both} (FLOPs = 2 × MACs, as torch's FlopCounterMode "
            "counts; torchvision's \"GFLOPS\" are MACs)")


def _operations(count: float, kind: str) -> Quantity:
    return Quantity(count, _operation_text(count, kind, False), _operation_text(count, kind, True), kind=kind)


def _operation_text(count: float, kind: str, in_code: bool) -> str:
    """1814073344 MACs -> '1.81 GMACs' (fr prose: '1,81 GMACs'): 3 significant digits, SI prefix,
    the same unit words in both languages (French lectures write GFLOPs and MACs too)."""
    value, i = float(count), 0
    while abs(value) >= 1000 and i < len(SI_PREFIXES) - 1:
        value, i = value / 1000, i + 1
    number = format_number(round_significant(value, 3), current_lang.get(), 3, in_code)
    return f"{number}\u00a0{SI_PREFIXES[i]}{OPERATION_UNITS[kind]}"


def _count_flops(model, input_size) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counters = []

    def counting():  # a new counter for each attempt: a meta pass that failed half-way counts nothing
        counters.append(FlopCounterMode(display=False))
        return counters[-1]

    _forward(model, input_size, counting)
    return int(counters[-1].get_total_flops())


# --- running a model on stand-in weights -----------------------------------------------------------
def _stand_ins(model, make) -> dict:
    """Every parameter and buffer of `model` by name (shared ones under each of their names), each
    replaced by `make(name, tensor)`; a tensor shared by two layers gets one stand-in."""
    made: dict[int, object] = {}
    state = {}
    for name, t in [*model.named_parameters(remove_duplicate=False), *model.named_buffers(remove_duplicate=False)]:
        if id(t) not in made:
            made[id(t)] = make(name, t)
        state[name] = made[id(t)]
    return state


@contextlib.contextmanager
def _evaluating(model):
    """Eval mode for one call (BatchNorm uses its statistics, dropout is off), then the flags as they were."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, mode in modes:
            m.training = mode


def _input(input_size, device: str, dtype=None):
    import torch

    if isinstance(input_size, torch.Tensor):  # a sample input: its shape and dtype (token ids are long)
        return torch.empty(input_size.shape, dtype=input_size.dtype, device=device)
    size = tuple(int(d) for d in input_size)
    return torch.ones(size, dtype=dtype or torch.float32, device=device)


def _forward(model, input_size, around=contextlib.nullcontext):
    """The model's output for an input of `input_size`, computed on the meta device; a model whose
    forward needs values (`.item()`, data-dependent shapes) runs for real when its weights are real."""
    import torch
    from torch.func import functional_call

    state = _stand_ins(model, lambda name, t: torch.empty_like(t, device="meta"))
    with _evaluating(model), torch.no_grad():
        try:
            with around():
                return functional_call(model, state, (_input(input_size, "meta"),))
        except (NotImplementedError, RuntimeError) as exc:
            if "meta" not in str(exc):
                raise
            tensors = [*model.parameters(), *model.buffers()]
            if any(t.device.type == "meta" for t in tensors):
                raise RuntimeError(f"this model's forward needs values, which meta tensors do not have ({exc}): "
                                   "build the model in a cell without `meta: true`") from None
            device = tensors[0].device.type if tensors else "cpu"
            with around():
                return model(_input(input_size, device))


def _first_tensor(obj):
    import torch

    if isinstance(obj, torch.Tensor):
        return obj
    items = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else ()
    for item in items:
        found = _first_tensor(item)
        if found is not None:
            return found
    return None


# --- stage shapes ------------------------------------------------------------------------------
HEADERS = {"fr": ("étape", "type", "forme de sortie"), "en": ("stage", "type", "output shape")}


@dataclass(frozen=True)
class Stages:
    """The output shape of each named child of a model, in call order: a table on a slide (HTML as a
    cell's last value, Markdown with str() for an `output: asis` cell), a dict of shapes in code."""

    rows: tuple[tuple[str, str, Shape | None], ...]
    lang: str

    def __getitem__(self, name: str) -> Shape | None:
        for row_name, _, shape in self.rows:
            if row_name == name:
                return shape
        raise KeyError(name)

    def __iter__(self):
        return iter(name for name, _, _ in self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def markdown(self) -> str:
        head = HEADERS.get(self.lang, HEADERS["en"])
        lines = ["| " + " | ".join(head) + " |", "|---|---|---|"]
        lines += [f"| {name} | {kind} | {'—' if shape is None else shape} |" for name, kind, shape in self.rows]
        return "\n".join(lines)

    __str__ = markdown

    def _deck_text_(self, in_code: bool = False) -> str:
        return self.markdown()

    def _repr_html_(self) -> str:
        import html

        head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS.get(self.lang, HEADERS["en"]))
        body = "".join(f"<tr><td>{html.escape(name)}</td><td>{html.escape(kind)}</td>"
                       f"<td>{html.escape('—' if shape is None else str(shape))}</td></tr>"
                       for name, kind, shape in self.rows)
        return f'<table class="stages"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def stage_shapes(model, input_size) -> Stages:
    """The output shape of each named child of `model` (a ResNet's conv1 … layer4, fc; a U-Net's
    encoder and decoder stages) for an input of `input_size`, from one pass on the meta device. A
    child the forward pass does not call shows `—`; one called twice shows its first output."""
    seen: dict[str, Shape] = {}

    def record(name):
        def hook(module, args, output):
            tensor = _first_tensor(output)
            if name not in seen and tensor is not None:
                seen[name] = Shape(tensor.shape)
        return hook

    children = list(model.named_children())
    handles = [child.register_forward_hook(record(name)) for name, child in children]
    try:
        _forward(model, input_size)
    finally:
        for handle in handles:
            handle.remove()
    rows = tuple((name, type(child).__name__, seen.get(name)) for name, child in children)
    return Stages(rows, current_lang.get())


# --- receptive fields --------------------------------------------------------------------------
class PerAxis(tuple):
    """A size per spatial axis, written as a slide writes it: `11 × 11`. A square one is also its
    side (`int(field) == 11`, and `.value` for claims)."""

    jump: tuple[int, ...] = ()  # the input distance between two neighbouring outputs (product of strides)

    def __str__(self) -> str:
        return " × ".join(str(d) for d in self)

    __repr__ = __str__

    def _deck_text_(self, in_code: bool = False) -> str:
        return str(self)

    @property
    def value(self) -> int | None:
        return self[0] if len(set(self)) == 1 else None

    def __int__(self) -> int:
        if self.value is None:
            raise ValueError(f"the field {self} is not square: it has one size per axis")
        return self.value


def receptive_field(layers_or_model, input_size=None) -> PerAxis:
    """The receptive field of one output of a ConvNet, per spatial axis, strides and dilations
    included: `receptive_field(nn.Sequential(conv3x3, conv3x3))` is `5 × 5`.

    A chain of layers (an nn.Sequential, nested ones, or a list) is computed analytically: the field
    grows by (k − 1) × dilation × jump at each convolution or pooling, and the jump is multiplied by
    the stride. Any other model (branches, skips, a forward of its own) is measured on an input of
    `input_size`: with every weight positive and max pooling spreading its gradient over its window,
    the input pixels with a non-zero gradient of the central output pixel are its field, the largest
    over all branches. The measure refuses a field that reaches the input's border (give a larger
    input)."""
    layers = _chain(layers_or_model)
    unknown = next((m for m in layers if _axes(m) is None), None) if layers is not None else None
    if layers is not None and unknown is None:
        return _analytic_field(layers)
    if input_size is None:
        what = f"a {type(unknown).__name__} layer" if unknown is not None else "a model with its own forward()"
        raise TypeError(f"receptive_field() computes a chain of convolutions and poolings analytically, and "
                        f"measures any other network: {what} needs input_size=(1, 3, 224, 224) to be measured")
    return _measured_field(layers_or_model, input_size)


def _chain(model) -> list | None:
    """The leaf layers of a chain in the order they run, or None when the model is not a chain."""
    import torch.nn as nn

    if isinstance(model, (list, tuple, nn.Sequential, nn.ModuleList)):
        leaves = []
        for item in model:
            sub = _chain(item)
            if sub is None:
                return None
            leaves += sub
        return leaves
    return [model] if isinstance(model, nn.Module) and not list(model.children()) else None


def _pointwise(module) -> bool:
    """A layer that keeps each spatial position to itself (it does not grow the field)."""
    import torch.nn as nn

    if isinstance(module, (nn.Softmax, nn.LogSoftmax, nn.Softmin, nn.MultiheadAttention)):
        return False  # a softmax may run along a spatial axis
    return (type(module).__module__ in ("torch.nn.modules.activation", "torch.nn.modules.dropout")
            or isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.Identity, nn.LocalResponseNorm)))


def _axes(module) -> int | None:
    """How many spatial axes a layer of a chain works on: 0 for a pointwise layer, None when the
    field cannot be computed from its hyperparameters (a transposed convolution, adaptive pooling…)."""
    if _pointwise(module):
        return 0
    return None if getattr(module, "transposed", False) else _window_axes(module)


def _window_axes(module) -> int | None:
    """The spatial axes of a convolution (transposed too) or a max/average pooling, from its class
    (Conv2d, MaxPool3d, AvgPool1d, or a subclass of one), else None."""
    import re

    import torch.nn as nn

    windowed = (nn.modules.conv._ConvNd, nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd)
    if not isinstance(module, windowed):
        return None
    for cls in type(module).__mro__:
        found = re.search(r"(\d)d$", cls.__name__)
        if found:
            return int(found.group(1))
    return None


def _per_axis(value, axes: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (int(value),) * axes


def _analytic_field(layers) -> PerAxis:
    axes = max((cast(int, _axes(m)) for m in layers), default=0)  # the caller checked none is None
    if axes == 0:
        raise TypeError("receptive_field(): the layers have no convolution or pooling")
    field, jump = [1] * axes, [1] * axes
    for layer in layers:
        if _axes(layer) == 0:
            continue
        if _axes(layer) != axes:
            raise TypeError(f"receptive_field(): {type(layer).__name__} does not work on {axes} spatial axes")
        kernel, stride = _per_axis(layer.kernel_size, axes), _per_axis(layer.stride or layer.kernel_size, axes)
        dilation = _per_axis(getattr(layer, "dilation", 1), axes)
        for i in range(axes):
            field[i] += (kernel[i] - 1) * dilation[i] * jump[i]
            jump[i] *= stride[i]
    result = PerAxis(field)
    result.jump = tuple(jump)
    return result


def _probe_tensor(name: str, t):
    """Stand-in weights for measuring a field: positive weights that keep activations near 1 (each
    output the mean of its inputs), so no ReLU is off and no gradient vanishes; BatchNorm an identity."""
    import torch

    if not t.is_floating_point():
        return t if t.device.type != "meta" else torch.zeros(t.shape, dtype=t.dtype, device="cpu")
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "running_var" or (t.dim() <= 1 and leaf != "bias" and leaf != "running_mean"):
        return torch.ones(t.shape, dtype=torch.float64, device="cpu")
    if t.dim() <= 1:
        return torch.zeros(t.shape, dtype=torch.float64, device="cpu")
    fan_in = t.numel() // t.shape[0]
    return torch.full(t.shape, 1 / fan_in, dtype=torch.float64, device="cpu")


def _spread_max_pool(module, args, output):
    """Max pooling sends its gradient to one input of the window (the first maximum): the output
    is kept, and the gradient is that of the window's mean, which reaches every input of it."""
    import torch.nn.functional as F

    x = args[0]
    axes = x.dim() - 2
    if type(module).__name__.startswith("Adaptive"):
        mean = getattr(F, f"adaptive_avg_pool{axes}d")(x, output.shape[2:])
    else:
        kernel = _per_axis(module.kernel_size, axes)
        stride = _per_axis(module.stride or module.kernel_size, axes)
        padding, dilation = _per_axis(module.padding, axes), _per_axis(module.dilation, axes)
        pads = [p for i in reversed(range(axes)) for p in (padding[i], padding[i] + kernel[i] * dilation[i])]
        channels = x.shape[1]
        weight = x.new_full((channels, 1, *kernel), 1 / math.prod(kernel))
        conv = getattr(F, f"conv{axes}d")
        mean = conv(F.pad(x, pads), weight, stride=stride, dilation=dilation, groups=channels)
        mean = mean[(slice(None), slice(None), *(slice(0, n) for n in output.shape[2:]))]
    return output.detach() + (mean - mean.detach())


def _measured_field(model, input_size) -> PerAxis:
    import torch
    import torch.nn as nn
    from torch.func import functional_call

    state = _stand_ins(model, _probe_tensor)
    pools = (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)
    handles = [m.register_forward_hook(_spread_max_pool) for m in model.modules() if isinstance(m, pools)]
    x = _input(input_size, "cpu", torch.float64).requires_grad_(True)
    try:
        with _evaluating(model):
            out = _first_tensor(functional_call(model, state, (x,)))
    finally:
        for handle in handles:
            handle.remove()
    if out is None or out.dim() != x.dim():
        raise ValueError(f"receptive_field(): the output ({None if out is None else tuple(out.shape)}) has no "
                         f"spatial axes like the input's {tuple(x.shape)}; a classifier sees the whole image: "
                         "give its feature extractor (e.g. nn.Sequential(*list(resnet.children())[:-2]))")
    centre = tuple(n // 2 for n in out.shape[2:])
    out[(slice(None), slice(None), *centre)].sum().backward()
    reached = x.grad.abs().sum(dim=(0, 1)) != 0
    field = []
    for axis in range(reached.dim()):
        others = tuple(a for a in range(reached.dim()) if a != axis)
        hit = reached.any(dim=others).nonzero().flatten() if others else reached.nonzero().flatten()
        first, last, length = int(hit[0]), int(hit[-1]), reached.shape[axis]
        if first == 0 or last == length - 1:
            raise ValueError(f"receptive_field(): the field of the central output reaches the border of the "
                             f"{tuple(x.shape)} input on axis {axis}: it may be larger; give a larger input_size")
        field.append(last - first + 1)
    return PerAxis(field)


# --- output sizes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Window:
    """One axis of a convolution or pooling: what its output-size formula needs."""

    kernel: int
    stride: int
    padding: int | None  # None: the padding is `total_padding`, maybe uneven ('same')
    total_padding: int
    dilation: int = 1
    ceil: bool = False
    transposed: bool = False
    output_padding: int = 0


def _window(layer, axis: int) -> _Window:
    axes = _window_axes(layer)
    if axes is None:
        raise TypeError(f"out_size() knows convolutions (transposed too) and max/average pooling, "
                        f"not {type(layer).__name__}")
    kernel = _per_axis(layer.kernel_size, axes)[axis]
    stride = _per_axis(layer.stride or layer.kernel_size, axes)[axis]
    dilation = _per_axis(getattr(layer, "dilation", 1), axes)[axis]
    padding = getattr(layer, "padding", 0)
    if isinstance(padding, str):  # 'valid' is none; 'same' pads dilation × (kernel − 1) in all
        total = dilation * (kernel - 1) if padding == "same" else 0
        pad = None if total % 2 else total // 2
    else:
        pad = _per_axis(padding, axes)[axis]
        total = 2 * pad
    transposed = bool(getattr(layer, "transposed", False))
    out_pad = _per_axis(layer.output_padding, axes)[axis] if transposed else 0
    return _Window(kernel, stride, pad, total, dilation, bool(getattr(layer, "ceil_mode", False)), transposed, out_pad)


def _axis_of(layer, n, axis: int | None) -> int:
    """Which axis a single length `n` is for: the layer's only one, or the one named by `axis`."""
    if axis is not None:
        return axis
    axes = _window_axes(layer) or 1
    if len({_window(layer, i) for i in range(axes)}) > 1:
        raise ValueError(f"{type(layer).__name__} differs per axis: give axis=0…{axes - 1} or one length per axis")
    return 0


def out_size(layer, n, axis: int | None = None):
    """The output length of a convolution, a pooling or a transposed convolution for an input of
    length `n` (a tuple: one length per axis; an nn.Sequential or a list: each layer in turn)."""
    chain = _chain(layer)
    if chain is not None and chain != [layer]:  # a Sequential or a list: each layer in turn
        for item in chain:
            n = out_size(item, n, axis)
        return n
    if _axes(layer) == 0:  # an activation, a BatchNorm: the size does not change
        return n
    if isinstance(n, (tuple, list)):
        return Shape(_length(_window(layer, i), int(d)) for i, d in enumerate(n))
    return _length(_window(layer, _axis_of(layer, n, axis)), int(n))


def _length(w: _Window, n: int) -> int:
    if w.transposed:
        return (n - 1) * w.stride - w.total_padding + w.dilation * (w.kernel - 1) + w.output_padding + 1
    if not w.ceil:
        return (n + w.total_padding - w.dilation * (w.kernel - 1) - 1) // w.stride + 1
    out = _ceil_length(w, n)
    if (out - 1) * w.stride >= n + w.total_padding // 2:
        out -= 1  # PyTorch's rule: the last window must start inside the input or its left padding
    return out


def _ceil_length(w: _Window, n: int) -> int:
    return -(-(n + w.total_padding - w.dilation * (w.kernel - 1) - 1) // w.stride) + 1


def size_formula(layer, n: int, axis: int | None = None) -> Formula:
    """The output length written out as a lecture writes it, with its floor:
    `⌊(224 + 2 × 3 − 7) / 2⌋ + 1 = 112` (pooling with ceil_mode: ⌈ ⌉; a transposed convolution:
    `(14 − 1) × 2 − 2 × 1 + 4 = 28`, no floor). The value is the output length."""
    w = _window(layer, _axis_of(layer, n, axis))
    value = _length(w, int(n))
    pad = "" if w.total_padding == 0 else (f" {'+' if not w.transposed else '−'} "
                                          + (f"2 × {w.padding}" if w.padding is not None else f"{w.total_padding}"))
    window = f"{w.kernel}" if w.dilation == 1 else f"{w.dilation} × ({w.kernel} − 1)"
    if w.transposed:
        grow = f" + {window}" if w.dilation == 1 else f" + {window} + 1"
        extra = f" + {w.output_padding}" if w.output_padding else ""
        text = f"({n} − 1) × {w.stride}{pad}{grow}{extra}"
    else:
        minus = f" − {window}" if w.dilation == 1 else f" − {window} − 1"
        left, right = ("⌈", "⌉") if w.ceil else ("⌊", "⌋")
        text = f"{left}({n}{pad}{minus}) / {w.stride}{right} + 1"
        if w.ceil and value < _ceil_length(w, int(n)):
            text += " − 1"  # the last window would start in the right padding: PyTorch drops it
    return Formula(f"{text} = {value}", value)
