"""A model's forward pass as a chain of drawable units, traced on the meta device.

Module hooks alone see layers but not the tensor operations between them (``torch.cat`` of a U-Net,
the ``+`` of a hand-written residual): a :class:`~torch.overrides.TorchFunctionMode` records those,
and every tensor remembers which node produced it, so the data flow (and so the skips) is measured
from the model's own forward, whatever Python it runs. Nothing is allocated: parameters, buffers and
the input are meta tensors, and the module itself is left as it was.

The nodes then become *units*, what a diagram draws as one box: a module that adds its input back to
its output (a residual block) is one unit; normalisation, activation and dropout layers that follow a
layer are folded into it ("Conv2d + ReLU"); reshapes are transparent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# tensor functions that only reshape or copy: the consumer is wired to the producer
_TRANSPARENT = {
    "view", "reshape", "flatten", "contiguous", "clone", "detach", "to", "float", "squeeze",
    "unsqueeze", "__getitem__", "permute", "transpose", "expand", "type_as", "dropout", "identity",
}
_ADD = {"add", "__add__", "__radd__", "__iadd__", "add_"}
_CAT = {"cat", "concat", "concatenate", "stack"}
_TRANSPARENT_MODULES = ("Flatten", "Identity", "Unflatten")
# layers drawn on the box of the layer they follow (same output shape)
_FOLDED_MODULE_PREFIXES = ("BatchNorm", "InstanceNorm", "GroupNorm", "LayerNorm", "Dropout", "LocalResponseNorm")


@dataclass
class Node:
    """A leaf module call or a tensor operation, with the nodes its tensor inputs came from."""

    index: int
    kind: str  # "input" | "module" | "op"
    name: str  # qualified module name, or the op's name
    type: str  # module class name, or the op's name ("cat", "add", "relu")
    inputs: list[int]
    in_shape: tuple[int, ...] | None
    out_shape: tuple[int, ...] | None
    module: Any = None
    params: list[str] = field(default_factory=list)  # model parameters it reads ("class_token")


@dataclass
class Call:
    """A non-leaf module call: the node range it created, where its input came from."""

    name: str
    module: Any
    input: int | None  # node that produced its (first) tensor input
    first: int  # nodes first..last-1 were created during the call
    last: int = -1
    output: int | None = None


@dataclass
class Unit:
    """What a diagram draws as one item."""

    index: int
    kind: str  # "conv" | "upconv" | "block" | "pool" | "avgpool" | "upsample" | "fc" | "cat" | "add" | "layer"
    type: str  # class or op name: "Conv2d", "BasicBlock", "cat"
    name: str  # qualified module name ("layer1.0"), or the op's name
    inputs: list[int]  # units whose outputs it reads
    in_shape: tuple[int, ...] | None
    out_shape: tuple[int, ...] | None
    module: Any = None
    folded: list[str] = field(default_factory=list)  # types drawn on this unit's box ("ReLU")
    projection: bool = False  # block: its shortcut goes through a layer (1×1 conv)
    params: list[str] = field(default_factory=list)  # op: model parameters it reads ("pos_embedding")
    tokens: bool = False  # its output is (batch, tokens, width): a transformer's sequence

    @property
    def out_ch(self) -> int | None:
        s = self.out_shape
        if self.tokens and s is not None:  # (batch, tokens, width): the width is what a layer maps
            return int(s[-1])
        return int(s[1]) if s is not None and len(s) >= 2 else None

    @property
    def in_ch(self) -> int | None:
        s = self.in_shape
        return int(s[1]) if s is not None and len(s) >= 2 else None

    @property
    def out_hw(self) -> tuple[int, int] | None:
        return _hw(self.out_shape)

    @property
    def in_hw(self) -> tuple[int, int] | None:
        return _hw(self.in_shape)


def _hw(shape) -> tuple[int, int] | None:
    return (int(shape[-2]), int(shape[-1])) if shape is not None and len(shape) >= 4 else None


def _tensors(obj) -> list:
    import torch

    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for item in obj for t in _tensors(item)]
    if isinstance(obj, dict):
        return [t for item in obj.values() for t in _tensors(item)]
    return []


class _Tracer:
    def __init__(self):
        self.nodes: list[Node] = []
        self.calls: list[Call] = []
        self.producer: dict[int, int] = {}  # id(tensor) -> node index
        self.keep: list = []  # tensors stay alive, so that their ids are never reused
        self.leaf_depth = 0
        self.open_calls: list[Call] = []
        self.param_of: dict[int, str] = {}  # id(tensor) -> name of the model parameter it is (a view of)

    def params(self, obj) -> list[str]:
        return [self.param_of[id(t)] for t in _tensors(obj) if id(t) in self.param_of]

    def sources(self, obj) -> list[int]:
        out = []
        for t in _tensors(obj):
            src = self.producer.get(id(t))
            if src is not None and src not in out:
                out.append(src)
        return out

    def produce(self, obj, node: int) -> None:
        for t in _tensors(obj):
            self.producer[id(t)] = node
            self.keep.append(t)

    def add_node(self, kind, name, type_, args, out, module=None) -> None:
        ins = _tensors(args)
        outs = _tensors(out)
        node = Node(len(self.nodes), kind, name, type_, self.sources(args),
                    tuple(ins[0].shape) if ins else None, tuple(outs[0].shape) if outs else None,
                    module)
        node.params = self.params(args)
        self.nodes.append(node)
        self.produce(out, node.index)


def _op_name(func) -> str:
    name = getattr(func, "__name__", None) or str(func)
    return name


def trace_nodes(model, input_size, *, dtype=None) -> tuple[list[Node], list[Call]]:
    """Nodes (leaf module calls and top-level tensor ops) and non-leaf module calls of one forward
    pass of a meta tensor of ``input_size``, in execution order; ``model`` is left unchanged."""
    import torch
    from torch.func import functional_call
    from torch.overrides import TorchFunctionMode

    tracer = _Tracer()
    names = {id(m): n for n, m in model.named_modules()}

    def pre_hook(module, args):
        if tracer.leaf_depth:
            return
        if any(True for _ in module.children()):
            call = Call(names.get(id(module), ""), module, next(iter(tracer.sources(args)), None),
                        len(tracer.nodes))
            tracer.open_calls.append(call)
        else:
            tracer.leaf_depth += 1

    def post_hook(module, args, output):
        if any(True for _ in module.children()):
            if tracer.leaf_depth or not tracer.open_calls or tracer.open_calls[-1].module is not module:
                return
            call = tracer.open_calls.pop()
            call.last = len(tracer.nodes)
            srcs = tracer.sources(output)
            call.output = srcs[0] if srcs else None
            tracer.calls.append(call)
            return
        tracer.leaf_depth -= 1
        if tracer.leaf_depth:
            return
        kind = type(module).__name__
        if kind in _TRANSPARENT_MODULES:
            srcs = tracer.sources(args)
            if srcs:
                tracer.produce(output, srcs[0])
                return
        tracer.add_node("module", names.get(id(module), ""), kind, args, output, module)

    class Recorder(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if tracer.leaf_depth == 0 and _tensors(out):
                srcs = tracer.sources((args, kwargs))
                name = _op_name(func)
                if srcs:  # an op on the data flow (not a tensor made from nothing)
                    if name in _TRANSPARENT:
                        tracer.produce(out, srcs[0])
                    else:
                        tracer.add_node("op", name, name, (args, kwargs), out)
                elif name in _TRANSPARENT and tracer.params((args, kwargs)):
                    # a parameter reshaped before use (a ViT's class token, expanded to the batch)
                    tracer.param_of[id(_tensors(out)[0])] = tracer.params((args, kwargs))[0]
                    tracer.keep.append(out)
            return out

    handles = []
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(pre_hook))
        handles.append(m.register_forward_hook(post_hook))
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        x = torch.empty(tuple(input_size), device="meta", dtype=dtype or torch.float32)
        tracer.nodes.append(Node(0, "input", "input", "input", [], tuple(x.shape), tuple(x.shape)))
        tracer.produce(x, 0)
        substitutes = {n: torch.empty_like(t, device="meta") for n, t in model.named_parameters()}
        substitutes.update({n: torch.empty_like(t, device="meta") for n, t in model.named_buffers()})
        # parameters that the forward uses as data (not through a layer): named on the diagram
        tracer.param_of = {id(t): n for n, t in substitutes.items()}
        with torch.no_grad(), Recorder():
            functional_call(model, substitutes, (x,))
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.training = mode
    return tracer.nodes, tracer.calls


def _ancestors(nodes: list[Node], start: int, floor: int) -> set[int]:
    """``start`` and every node it depends on, down to index ``floor``."""
    seen, stack = set(), [start]
    while stack:
        i = stack.pop()
        if i in seen or i < floor:
            continue
        seen.add(i)
        stack.extend(nodes[i].inputs)
    return seen


def _residual_blocks(nodes: list[Node], calls: list[Call]) -> list[Call]:
    """Module calls that add their input back to their output, innermost first; the model's own
    call never counts (its adds are drawn as merge points with a skip)."""
    root = max(calls, key=lambda c: c.last - c.first, default=None)
    blocks: list[Call] = []
    for node in nodes:
        if node.type not in _ADD or len(node.inputs) < 2:
            continue
        enclosing = sorted((c for c in calls if c.first <= node.index < c.last and c.input is not None),
                           key=lambda c: c.last - c.first)
        for call in enclosing:
            if call is root:
                break
            a, b = node.inputs[:2]
            assert call.input is not None  # enclosing calls have an input (filtered above)
            if call.input in _ancestors(nodes, a, call.input) and call.input in _ancestors(nodes, b, call.input):
                if call not in blocks:
                    blocks.append(call)
                break
    # a block inside another block is drawn as part of the outer one
    return [c for c in blocks if not any(o is not c and o.first <= c.first and c.last <= o.last
                                         for o in blocks)]


def _kind(node: Node) -> str:
    t = node.type
    if node.kind == "op":
        if t in _CAT:
            return "cat"
        if t in _ADD and len(node.inputs) >= 2:
            return "add"
        if "adaptive_avg_pool" in t:
            return "avgpool"
        if "pool" in t:
            return "pool"
        if t in ("interpolate", "upsample"):
            return "upsample"
        return "layer"
    if t.startswith("ConvTranspose"):
        return "upconv"
    if t.startswith("Conv"):
        return "conv"
    if t.startswith("AdaptiveAvgPool") or t == "AdaptiveMaxPool2d":
        return "avgpool"
    if "Pool" in t:
        return "pool"
    if t.startswith("Upsample"):
        return "upsample"
    if t == "Linear":
        return "fc"
    return "layer"


def _foldable(node: Node) -> bool:
    """Layers that keep their input's shape and are drawn on the previous box."""
    if node.kind == "module":
        mod = type(node.module).__module__
        return (mod == "torch.nn.modules.activation" or node.type.startswith(_FOLDED_MODULE_PREFIXES))
    # a tensor op on one tensor that keeps its shape: F.relu, torch.sigmoid, x * 2
    return len(node.inputs) == 1 and node.type not in _CAT


def units_of(model, input_size, *, dtype=None) -> list[Unit]:
    """The drawable units of ``model``'s forward pass (see the module docstring)."""
    nodes, calls = trace_nodes(model, input_size, dtype=dtype)
    blocks = _residual_blocks(nodes, calls)
    tokens = _has_token_layers(model)
    unit_of: dict[int, int] = {0: -1}  # node -> unit (-1: the model's input)
    units: list[Unit] = []

    def unit_inputs(srcs) -> list[int]:
        out = []
        for s in srcs:
            u = unit_of.get(s)
            if u is not None and u not in out:
                out.append(u)
        return out

    i = 1
    while i < len(nodes):
        node = nodes[i]
        block = next((c for c in blocks if c.first == i), None)
        if block is not None:
            inner = range(block.first, block.last)
            out_node = nodes[block.output] if block.output is not None else nodes[block.last - 1]
            assert block.input is not None  # a block is a call with an input (see _blocks)
            in_node = nodes[block.input]
            # a shortcut with a layer on it (projection): an add input that does not lead back to
            # the block's input through layers alone of the main path, i.e. the short branch has a node
            adds = [n for n in (nodes[j] for j in inner) if n.type in _ADD and len(n.inputs) >= 2]
            projection = any(_is_projection(nodes, n, block.input) for n in adds[-1:])
            unit = Unit(len(units), "block", type(block.module).__name__, block.name,
                        unit_inputs([block.input]), in_node.out_shape, out_node.out_shape,
                        block.module, projection=projection)
            units.append(unit)
            for j in inner:
                unit_of[j] = unit.index
            i = block.last
            continue
        ins = unit_inputs(node.inputs)
        prev = units[-1] if units else None
        if (prev is not None and _foldable(node) and ins == [prev.index]
                and node.out_shape == prev.out_shape and prev.kind not in ("cat", "add")):
            prev.folded.append(node.type)
            unit_of[i] = prev.index
            i += 1
            continue
        unit = Unit(len(units), _kind(node), node.type, node.name, ins, node.in_shape,
                    node.out_shape, node.module, params=list(node.params))
        units.append(unit)
        unit_of[i] = unit.index
        i += 1
    for u in units:
        u.tokens = tokens and u.out_shape is not None and len(u.out_shape) == 3
    return units


def _has_token_layers(model) -> bool:
    """A model with attention or layer norm reads its 3-D tensors as (batch, tokens, width)."""
    import torch.nn as nn

    return any(isinstance(m, (nn.MultiheadAttention, nn.LayerNorm)) for m in model.modules())


def _is_projection(nodes: list[Node], add: Node, block_input: int) -> bool:
    """The block's closing addition takes its short branch through a layer (a 1×1 conv): the input
    with fewer ancestors is not read by the other one. In x + f(x) the long branch reads x, be x the
    block's input or, in a transformer block, the output of its first residual step."""
    a, b = sorted(add.inputs[:2], key=lambda i: len(_ancestors(nodes, i, block_input)))
    return a not in _ancestors(nodes, b, block_input)
