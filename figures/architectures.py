"""Block diagrams of ResNet and VGG networks, read off the model itself.

Stages, blocks, channel counts and spatial sizes come from a forward pass on
the meta device with hooks (:mod:`figures._trace`); nothing is typed by hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .labels import pretty_model_name, resolve_lang, tr
from .output import SVGFigure, finish, new_figure
from .palette import ACCENT, GOLD, GREY, LIGHT, NAVY, TEAL, WHITE, theme
from ._trace import as_model, trace


@dataclass
class Block:
    type: str  # "BasicBlock", "Bottleneck", "Conv2d"
    in_ch: int
    out_ch: int
    out_hw: tuple[int, int]
    downsample: bool  # ResNet: the shortcut is a projection (1x1 conv)
    name: str = ""  # qualified module name, e.g. "layer2.0"
    stride: int = 1


@dataclass
class Stage:
    name: str  # "layer1" (ResNet) / "block1" (VGG)
    blocks: list[Block]
    pool_hw: tuple[int, int] | None = None  # VGG: size after the max pool ending the stage

    @property
    def n_blocks(self) -> int:
        return len(self.blocks)

    @property
    def out_ch(self) -> int:
        return self.blocks[-1].out_ch

    @property
    def out_hw(self) -> tuple[int, int]:
        return self.blocks[-1].out_hw


@dataclass
class Layer:
    """A stem or head layer: conv, max pool, global average pool, dense."""

    kind: str  # "conv" | "maxpool" | "avgpool" | "fc"
    out_ch: int  # channels (conv) or features (fc)
    out_hw: tuple[int, int] | None
    name: str = ""
    kernel: int | None = None
    stride: int | None = None


@dataclass
class Architecture:
    name: str  # display name, e.g. "ResNet-18"
    family: str  # "resnet" | "vgg"
    input_size: tuple[int, ...]
    stem: list[Layer]
    stages: list[Stage]
    head: list[Layer]
    num_classes: int
    extra: dict = field(default_factory=dict)


def _hw(shape) -> tuple[int, int] | None:
    return (int(shape[-2]), int(shape[-1])) if shape is not None and len(shape) >= 4 else None


def _int(v) -> int:
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


def _resnet_spec(net, name, records, input_size) -> Architecture:
    import torch.nn as nn
    from torchvision.models.resnet import BasicBlock, Bottleneck

    stem, stages, head = [], [], []
    for child_name, child in net.named_children():
        rec = records.get(child_name)
        if isinstance(child, nn.Sequential) and len(child) and all(
            isinstance(b, (BasicBlock, Bottleneck)) for b in child
        ):
            blocks = []
            for i, b in enumerate(child):
                r = records[f"{child_name}.{i}"]
                blocks.append(Block(
                    type=type(b).__name__, in_ch=int(r.in_shape[1]), out_ch=int(r.out_shape[1]),
                    out_hw=_hw(r.out_shape), downsample=b.downsample is not None,
                    name=f"{child_name}.{i}", stride=_int(b.stride),
                ))
            stages.append(Stage(child_name, blocks))
        elif rec is None:
            continue
        elif isinstance(child, nn.Conv2d):
            stem.append(Layer("conv", int(rec.out_shape[1]), _hw(rec.out_shape), child_name,
                              _int(child.kernel_size), _int(child.stride)))
        elif isinstance(child, nn.MaxPool2d):
            stem.append(Layer("maxpool", int(rec.out_shape[1]), _hw(rec.out_shape), child_name,
                              _int(child.kernel_size), _int(child.stride)))
        elif isinstance(child, (nn.AdaptiveAvgPool2d, nn.AvgPool2d)):
            head.append(Layer("avgpool", int(rec.out_shape[1]), _hw(rec.out_shape), child_name))
        elif isinstance(child, nn.Linear):
            head.append(Layer("fc", int(rec.out_shape[-1]), None, child_name))
    if not stages:
        raise ValueError("no ResNet stage (sequence of BasicBlock/Bottleneck) found")
    fcs = [h for h in head if h.kind == "fc"]
    return Architecture(name, "resnet", tuple(input_size), stem, stages, head,
                        fcs[-1].out_ch if fcs else 0)


def _vgg_spec(net, name, records, input_size) -> Architecture:
    import torch.nn as nn

    stages: list[Stage] = []
    current: list[Block] = []
    for idx, m in enumerate(net.features):
        r = records.get(f"features.{idx}")
        if isinstance(m, nn.Conv2d) and r is not None:
            current.append(Block("Conv2d", int(r.in_shape[1]), int(r.out_shape[1]),
                                 _hw(r.out_shape), False, f"features.{idx}", _int(m.stride)))
        elif isinstance(m, nn.MaxPool2d) and r is not None and current:
            stages.append(Stage(f"block{len(stages) + 1}", current, _hw(r.out_shape)))
            current = []
    if current:
        stages.append(Stage(f"block{len(stages) + 1}", current, None))
    head = []
    r = records.get("avgpool")
    if r is not None:
        head.append(Layer("avgpool", int(r.out_shape[1]), _hw(r.out_shape), "avgpool"))
    for idx, m in enumerate(net.classifier):
        r = records.get(f"classifier.{idx}")
        if isinstance(m, nn.Linear) and r is not None:
            head.append(Layer("fc", int(r.out_shape[-1]), None, f"classifier.{idx}"))
    fcs = [h for h in head if h.kind == "fc"]
    return Architecture(name, "vgg", tuple(input_size), [], stages, head,
                        fcs[-1].out_ch if fcs else 0)


def _infer_name(net, family: str, stages: list[Stage], head: list[Layer]) -> str:
    """Depth-based display name for a module given as an object (ResNet-18...)."""
    n_blocks = sum(s.n_blocks for s in stages)
    if family == "resnet":
        per_block = 3 if stages[0].blocks[0].type == "Bottleneck" else 2
        return f"ResNet-{per_block * n_blocks + 2}"
    return f"VGG-{n_blocks + sum(1 for h in head if h.kind == 'fc')}"


def architecture_spec(model: Any = "resnet18", input_size=(1, 3, 224, 224)) -> Architecture:
    """Stem, stages and head of a torchvision ResNet or VGG (name or module),
    measured by a forward pass on the meta device."""
    import torchvision.models as tvm

    net, name = as_model(model)
    records, _ = trace(net, input_size)
    if isinstance(net, tvm.ResNet):
        spec = _resnet_spec(net, "", records, input_size)
    elif isinstance(net, tvm.VGG):
        spec = _vgg_spec(net, "", records, input_size)
    else:
        raise ValueError(
            f"architecture() draws torchvision ResNet and VGG models, not {type(net).__name__}"
        )
    spec.name = (pretty_model_name(name) if name
                 else _infer_name(net, spec.family, spec.stages, spec.head))
    return spec


def architecture_stages(model: Any = "resnet18", input_size=(1, 3, 224, 224)) -> list[Stage]:
    """The stages (with their blocks) of :func:`architecture_spec`."""
    return architecture_spec(model, input_size).stages


# --------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------

_BOX_H = 0.95  # inches
_GAP_IN = 0.16  # between blocks of a stage
_GAP_OUT = 0.34  # between groups
_BAR_W = 0.14  # max pool bar
# the diagram is wide (~10-11 in) and gets scaled down to the slide width: larger fonts
_FS = 14
_FS_SMALL = 13
_FS_TITLE = 15
_CHAR_W = 0.6 / 72  # average DejaVu Sans glyph width, inches per point of font size


def _text_w(lines, size) -> float:
    return max(len(s) for s in lines) * _CHAR_W * size


def _collapse_runs(blocks: list[Block]) -> list[tuple[Block, int]]:
    """Consecutive blocks with the same (type, out_ch, out_hw, downsample) -> (block, count)."""
    runs: list[tuple[Block, int]] = []
    for b in blocks:
        key = (b.type, b.out_ch, b.out_hw, b.downsample)
        if runs:
            prev, n = runs[-1]
            if (prev.type, prev.out_ch, prev.out_hw, prev.downsample) == key:
                runs[-1] = (prev, n + 1)
                continue
        runs.append((b, 1))
    return runs


def _hw_txt(hw) -> str:
    return f"{hw[0]}×{hw[1]}"


def architecture(
    model: Any = "resnet18",
    *,
    input_size: tuple[int, ...] = (1, 3, 224, 224),
    lang: str | None = None,
    collapse: bool | None = None,
) -> SVGFigure:
    """Left-to-right diagram: input, stem, stages of blocks (box = output channels;
    arcs = ResNet shortcuts, dashed for projections), spatial size under each
    stage, head. ``collapse=None`` merges identical consecutive blocks into one
    "×N" box only when the network has more than 10 blocks."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    lang = resolve_lang(lang)
    spec = architecture_spec(model, input_size)
    n_total = sum(s.n_blocks for s in spec.stages)
    if collapse is None:
        collapse = n_total > 10
    fs = _FS
    fs_small = _FS_SMALL

    # ---- items: (group, kind, lines, width, colours, extra) -----------------
    items: list[dict] = []

    def add(group, kind, lines, *, fc, tc, ec=None, sub=None, min_w=0.55,
            size=fs, weight="bold", **extra):
        if kind == "bar":
            w = _BAR_W
        else:
            w = max(min_w, _text_w(lines, size) + 0.2)
        items.append(dict(group=group, kind=kind, lines=lines, w=w, fc=fc, tc=tc,
                          ec=ec or fc, sub=sub, size=size, weight=weight,
                          **extra))

    c, h, w = input_size[1], input_size[2], input_size[3]
    add("input", "input", [tr("input", lang), f"{c}×{h}×{w}"], fc=LIGHT,
        tc=NAVY, ec=NAVY, size=fs_small, weight="normal")
    for layer in spec.stem:
        if layer.kind == "conv":
            add("stem", "conv", [f"conv {layer.kernel}×{layer.kernel}",
                                 f"{layer.out_ch}, /{layer.stride}"],
                fc=NAVY, tc=WHITE, sub=_hw_txt(layer.out_hw), size=fs_small)
        else:
            add("stem", "bar", [], fc=GREY, tc=WHITE)
    boxes = []
    for si, stage in enumerate(spec.stages):
        runs = _collapse_runs(stage.blocks) if collapse else [(b, 1) for b in stage.blocks]
        for b, n in runs:
            lines = [str(b.out_ch)] + ([f"×{n}"] if n > 1 else [])
            add(f"stage{si}", "block", lines, fc=TEAL, tc=WHITE, count=n,
                block=b, min_w=0.58)
            boxes.append({"stage": si, "type": b.type, "out_ch": b.out_ch, "count": n,
                          "downsample": b.downsample, "out_hw": b.out_hw})
        if spec.family == "vgg" and stage.pool_hw is not None:
            add(f"stage{si}", "bar", [], fc=GREY, tc=WHITE)
    for layer in spec.head:
        if layer.kind == "avgpool":
            gap_lines = tr("arch_gap", lang).split("\n")
            if layer.out_hw != (1, 1):  # VGG: adaptive pool to 7x7
                prev_hw = spec.stages[-1].pool_hw or spec.stages[-1].out_hw
                if layer.out_hw == prev_hw:  # a no-op for this input size: not drawn
                    continue
                gap_lines = ["avg pool", _hw_txt(layer.out_hw)]
            add("head", "avgpool", gap_lines, fc=GOLD, tc=NAVY, size=fs_small,
                sub=_hw_txt(layer.out_hw) if layer.out_hw == (1, 1) else None)
        else:
            add("head", "fc", ["FC", str(layer.out_ch)], fc=GOLD, tc=NAVY,
                size=fs_small)
    if spec.head and spec.head[-1].kind == "fc":
        items[-1]["sub"] = f"{spec.num_classes} {tr('classes', lang)}"

    # ---- x positions ------------------------------------------------------
    x = 0.1
    prev_group = None
    for it in items:
        if prev_group is not None:
            same = it["group"] == prev_group and it["group"] != "head"
            x += _GAP_IN if same else _GAP_OUT
            it["gap_before"] = "in" if same else "out"
        it["x"] = x
        x += it["w"]
        prev_group = it["group"]
    width = x + 0.1

    y0 = 1.03  # box bottom
    y1 = y0 + _BOX_H
    height = 3.08 if spec.family == "resnet" else 2.83  # room for the shortcut arcs

    with theme():
        fig = new_figure(width, height)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(0, height)
        ax.set_axis_off()

        for i, it in enumerate(items):
            xl, xr = it["x"], it["x"] + it["w"]
            ax.add_patch(FancyBboxPatch(
                (xl, y0), it["w"], _BOX_H, boxstyle="round,pad=0,rounding_size=0.06",
                fc=it["fc"], ec=it["ec"], lw=1.2, zorder=3))
            if it["kind"] == "bar":
                pass
            elif it["kind"] == "block":
                main = it["lines"][0]
                if len(it["lines"]) > 1:
                    ax.text((xl + xr) / 2, y0 + 0.6 * _BOX_H, main, ha="center", va="center",
                            color=it["tc"], fontsize=fs, fontweight="bold", zorder=4)
                    ax.text((xl + xr) / 2, y0 + 0.27 * _BOX_H, it["lines"][1], ha="center",
                            va="center", color=it["tc"], fontsize=fs_small, zorder=4)
                else:
                    ax.text((xl + xr) / 2, (y0 + y1) / 2, main, ha="center", va="center",
                            color=it["tc"], fontsize=fs, fontweight="bold", zorder=4)
            else:
                ax.text((xl + xr) / 2, (y0 + y1) / 2, "\n".join(it["lines"]), ha="center",
                        va="center", color=it["tc"], fontsize=it["size"],
                        fontweight=it["weight"], linespacing=1.35, zorder=4)
            if it.get("sub"):
                ax.text((xl + xr) / 2, y0 - 0.12, it["sub"], ha="center", va="top",
                        color=NAVY, fontsize=fs_small, zorder=4)
            # connection from the previous item
            if i > 0:
                px = items[i - 1]["x"] + items[i - 1]["w"]
                ym = (y0 + y1) / 2
                if it["gap_before"] == "out":
                    ax.add_patch(FancyArrowPatch((px + 0.03, ym), (xl - 0.03, ym),
                                                 arrowstyle="-|>,head_length=5,head_width=3",
                                                 mutation_scale=1, color=GREY, lw=1.4,
                                                 zorder=2))
                else:
                    ax.plot([px, xl], [ym, ym], color=GREY, lw=1.4, zorder=2)
            # shortcut arc over ResNet blocks
            if spec.family == "resnet" and it["kind"] == "block":
                b = it["block"]
                ax.add_patch(FancyArrowPatch(
                    (xl - 0.02, y1 - 0.02), (xr + 0.02, y1 - 0.02),
                    connectionstyle="arc3,rad=-0.55",
                    arrowstyle="-|>,head_length=5,head_width=3", mutation_scale=1,
                    color=ACCENT, lw=1.6, linestyle=(0, (4, 2.5)) if b.downsample else "-",
                    zorder=5, shrinkA=0, shrinkB=0))

        # stage brackets and labels
        for si, stage in enumerate(spec.stages):
            members = [it for it in items if it["group"] == f"stage{si}" and it["kind"] == "block"]
            xl = members[0]["x"]
            xr = members[-1]["x"] + members[-1]["w"]
            yb = y0 - 0.1
            ax.plot([xl, xl, xr, xr], [yb + 0.05, yb, yb, yb + 0.05], color=GREY,
                    lw=1.0, zorder=2)
            key = "arch_stage" if spec.family == "resnet" else "arch_block"
            label = tr(key, lang, i=si + 1)
            ax.text((xl + xr) / 2, yb - 0.05, f"{label}\n{_hw_txt(stage.out_hw)}",
                    ha="center", va="top", fontsize=fs_small, color=NAVY,
                    linespacing=1.3)

        # title and legend
        ax.text(0.1, height - 0.12, tr("arch_title", lang, model=spec.name), ha="left",
                va="top", fontsize=_FS_TITLE, fontweight="bold", color=NAVY)
        ly = 0.12
        lx = 0.1

        def legend_patch(colour, w, text):
            nonlocal lx
            ax.add_patch(FancyBboxPatch((lx, ly - 0.09), w, 0.18,
                                        boxstyle="round,pad=0,rounding_size=0.02",
                                        fc=colour, ec=colour))
            ax.text(lx + w + 0.08, ly, text, va="center", fontsize=fs_small, color=NAVY)
            lx += w + 0.08 + _text_w([text], fs_small) + 0.35

        if spec.family == "resnet":
            legend_patch(TEAL, 0.22, tr("arch_box_legend", lang,
                                        block=spec.stages[0].blocks[0].type))
        else:
            legend_patch(TEAL, 0.22, tr("arch_conv_legend", lang))
        if any(it["kind"] == "bar" for it in items):
            legend_patch(GREY, _BAR_W, tr("arch_maxpool", lang))

        if spec.family == "resnet":  # shortcut legend: top right, next to the title
            entries = [(False, tr("arch_identity", lang))]
            if any(b.downsample for st in spec.stages for b in st.blocks):
                entries.append((True, tr("arch_projection", lang)))
            ty = height - 0.22
            lx = width - 0.1 - sum(0.48 + _text_w([t], fs_small) + 0.3 for _, t in entries) + 0.3
            for dashed, text in entries:
                ax.plot([lx, lx + 0.4], [ty, ty], color=ACCENT, lw=1.8,
                        linestyle=(0, (4, 2.5)) if dashed else "-")
                ax.text(lx + 0.48, ty, text, va="center", fontsize=fs_small, color=NAVY)
                lx += 0.48 + _text_w([text], fs_small) + 0.3

        ch = ", ".join(str(s.out_ch) for s in spec.stages)
        hw = ", ".join(_hw_txt(s.out_hw) for s in spec.stages)
        counts = "/".join(str(s.n_blocks) for s in spec.stages)
        if spec.family == "resnet":
            alt = tr("arch_alt_resnet", lang, model=spec.name, n=len(spec.stages),
                     blocks=counts, type=spec.stages[0].blocks[0].type, ch=ch, hw=hw,
                     k=spec.num_classes)
        else:
            fc = " → ".join(str(h.out_ch) for h in spec.head if h.kind == "fc")
            alt = tr("arch_alt_vgg", lang, model=spec.name, n=len(spec.stages),
                     blocks=counts, ch=ch, hw=hw, fc=fc)

        data = {
            "model": spec.name,
            "family": spec.family,
            "input_size": list(spec.input_size),
            "stem": [asdict(layer) for layer in spec.stem],
            "stages": [
                {"name": s.name, "n_blocks": s.n_blocks, "out_ch": s.out_ch,
                 "out_hw": s.out_hw, "pool_hw": s.pool_hw}
                for s in spec.stages
            ],
            "blocks": [[asdict(b) for b in s.blocks] for s in spec.stages],
            "boxes": boxes,
            "n_boxes": len(boxes),
            "collapsed": collapse,
            "head": [asdict(layer) for layer in spec.head],
            "num_classes": spec.num_classes,
        }
        return finish(fig, alt=alt, data=data)
