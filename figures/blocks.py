"""A network read as a diagram sees it: stages of blocks, the layers of its head, its skips.

Everything comes from one forward pass on the meta device (:mod:`figures.graph`); nothing is typed
by hand and nothing is specific to a model family (:mod:`figures.architectures` draws it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._trace import as_model
from .graph import Unit, units_of
from .labels import pretty_model_name


@dataclass
class Block:
    type: str  # "BasicBlock", "Bottleneck", "Conv2d", "ConvTranspose2d"
    in_ch: int
    out_ch: int
    out_hw: tuple[int, int] | None   # None for a transformer block (its output is tokens)
    downsample: bool  # residual block: the shortcut is a projection (1x1 conv)
    name: str = ""  # qualified module name, e.g. "layer2.0"
    stride: int = 1


@dataclass
class Stage:
    name: str  # "layer1" (the blocks' common module) / "block1"
    blocks: list[Block]
    pool_hw: tuple[int, int] | None = None  # size after the pooling ending the stage
    units: list[int] = field(default_factory=list)  # every unit drawn in the stage (blocks, merges, pools)

    @property
    def n_blocks(self) -> int:
        return len(self.blocks)

    @property
    def out_ch(self) -> int:
        return self.blocks[-1].out_ch

    @property
    def out_hw(self) -> tuple[int, int] | None:
        return self.blocks[-1].out_hw


@dataclass
class Layer:
    """A stem or head unit: conv, pooling, global average pool, dense..."""

    kind: str  # "conv" | "maxpool" | "avgpool" | "fc" | unit kind
    out_ch: int  # channels (conv) or features (fc)
    out_hw: tuple[int, int] | None
    name: str = ""
    kernel: int | None = None
    stride: int | None = None


@dataclass
class Skip:
    """Data reaching a unit from an earlier one than the unit before it."""

    src: int  # unit index
    dst: int
    kind: str  # "cat" | "add" | "layer"


@dataclass
class Architecture:
    name: str  # display name, e.g. "ResNet-18"
    family: str  # "residual" | "plain" | "unet"
    input_size: tuple[int, ...]
    stem: list[Layer]
    stages: list[Stage]
    head: list[Layer]
    num_classes: int
    units: list[Unit] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    stem_units: list[int] = field(default_factory=list)
    head_units: list[int] = field(default_factory=list)
    output_shape: tuple[int, ...] | None = None


def _int(v) -> int:
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


def _stride(u: Unit) -> int:
    if u.module is not None and hasattr(u.module, "stride") and u.kind in ("conv", "upconv"):
        return _int(u.module.stride)
    if u.in_hw and u.out_hw and u.out_hw[0]:
        return max(1, u.in_hw[0] // u.out_hw[0])
    return 1


def _block(u: Unit) -> Block:
    return Block(u.type, int(u.in_ch or 0), int(u.out_ch or 0), u.out_hw, u.projection, u.name,
                 _stride(u))


def _layer(u: Unit) -> Layer:
    kind = {"pool": "maxpool" if "Max" in u.type or "max" in u.type else "avgpool_local"}.get(u.kind, u.kind)
    kernel = stride = None
    if u.module is not None and hasattr(u.module, "kernel_size") and u.kind in ("conv", "pool", "upconv"):
        kernel, stride = _int(u.module.kernel_size), _int(u.module.stride)
    out = u.out_shape[-1] if u.kind == "fc" and u.out_shape is not None else (u.out_ch or 0)
    return Layer(kind, int(out or 0), u.out_hw, u.name, kernel, stride)


def _skips(units: list[Unit]) -> list[Skip]:
    out = []
    for u in units:
        main = u.index - 1 if (u.index - 1) in u.inputs else (u.inputs[0] if u.inputs else None)
        for src in u.inputs:  # -1: the model's input (a block drawn alone: MobileNetV2's inverted residual)
            if src != main and src >= -1:
                out.append(Skip(src, u.index, u.kind if u.kind in ("cat", "add") else "layer"))
    return out


def _stage_name(blocks: list[Block], i: int, taken: set[str]) -> str:
    parents = {b.name.rsplit(".", 1)[0] if "." in b.name else "" for b in blocks}
    if len(parents) == 1:
        (parent,) = parents
        if parent and parent not in taken:
            return parent
    return f"block{i + 1}"


def _stages(units: list[Unit], stage_kinds: set[str]) -> tuple[list[Stage], int, int]:
    """Stages (runs of blocks at one resolution, a pooling closing one), first and last unit."""
    main = [u.index for u in units if u.kind in stage_kinds]
    if not main:
        return [], len(units), len(units) - 1
    first, last = main[0], main[-1]
    while last + 1 < len(units) and units[last + 1].kind == "pool":
        last += 1
    stages: list[Stage] = []
    current: Stage | None = None
    pending: list[int] = []  # units before the first block of the next stage
    closed = False
    for u in units[first:last + 1]:
        if u.kind in stage_kinds:
            if current is None or closed or u.out_hw != current.out_hw:
                current = Stage("", [], None, pending)
                pending, closed = [], False
                stages.append(current)
            current.blocks.append(_block(u))
            current.units.append(u.index)
        elif u.kind == "pool" and current is not None and not closed:
            current.units.append(u.index)
            current.pool_hw, closed = u.out_hw, True
        elif current is not None and not closed and u.out_hw == current.out_hw:
            current.units.append(u.index)  # a merge or a layer at the stage's resolution
        else:
            pending.append(u.index)
    taken: set[str] = set()
    for i, s in enumerate(stages):
        s.name = _stage_name(s.blocks, i, taken)
        taken.add(s.name)
    return stages, first, last


def _display_name(net, name: str | None, family: str, stages: list[Stage], head: list[Layer]) -> str:
    if name:
        return pretty_model_name(name)
    import torchvision.models as tvm

    n_blocks = sum(s.n_blocks for s in stages)
    if isinstance(net, tvm.ResNet) and stages:
        per_block = 3 if stages[0].blocks[0].type == "Bottleneck" else 2
        return f"ResNet-{per_block * n_blocks + 2}"
    if isinstance(net, tvm.VGG):
        return f"VGG-{n_blocks + sum(1 for h in head if h.kind == 'fc')}"
    return type(net).__name__


def architecture_spec(model: Any = "resnet18", input_size=None) -> Architecture:
    """Stem, stages, head and skips of any ``nn.Module`` (or torchvision model name), measured by a
    forward pass on the meta device. ``input_size`` defaults to one 224 × 224 image with as many
    channels as the model's first convolution takes."""
    net, name = as_model(model)
    input_size = tuple(input_size) if input_size is not None else default_input(net)
    try:
        units = units_of(net, input_size)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise ValueError(f"{type(net).__name__} could not be run on an input of size {tuple(input_size)} "
                         f"({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                         "give the size it takes: architecture(model, input_size=(1, C, H, W))") from None
    if not units:
        raise ValueError(f"{type(net).__name__}: nothing to draw (no layer or operation was called)")
    if any(u.kind == "block" for u in units):
        family, stage_kinds = "residual", {"block"}
    else:
        stage_kinds = {"conv", "upconv"}
        family = "unet" if any(u.kind in ("upconv", "upsample") for u in units) else "plain"
    stages, first, last = _stages(units, stage_kinds)
    stem_units = list(range(first))
    head_units = list(range(last + 1, len(units)))
    stem = [_layer(units[i]) for i in stem_units]
    head = [_layer(units[i]) for i in head_units]
    fcs = [h for h in head if h.kind == "fc"]
    return Architecture(
        name=_display_name(net, name, family, stages, head), family=family,
        input_size=tuple(input_size), stem=stem, stages=stages, head=head,
        num_classes=fcs[-1].out_ch if fcs else 0, units=units, skips=_skips(units),
        stem_units=stem_units, head_units=head_units, output_shape=units[-1].out_shape,
    )


def default_input(net) -> tuple[int, ...]:
    """(1, C, 224, 224), C the input channels of the model's first convolution (3 if it has none)."""
    first = next((m for m in net.modules() if hasattr(m, "in_channels") and hasattr(m, "kernel_size")), None)
    return (1, getattr(first, "in_channels", 3), 224, 224)


def architecture_stages(model: Any = "resnet18", input_size=(1, 3, 224, 224)) -> list[Stage]:
    """The stages (with their blocks) of :func:`architecture_spec`."""
    return architecture_spec(model, input_size).stages
