"""What an architecture diagram shows, read off the network's stages: the items drawn left to right
(boxes, pooling bars, merge circles, each with the units it stands for) and the legend's entries for
the kinds of item drawn. No position and no drawing here: :mod:`figures.architecture_layout` places
the items, :mod:`figures.architecture_drawing` draws them."""

from __future__ import annotations

from .blocks import Architecture, Block, Stage, _block, _int, _stride
from .graph import Unit
from .labels import tr


def _hw_txt(hw) -> str:
    return f"{hw[0]}×{hw[1]}" if hw else ""


def _size_txt(u: Unit, lang: str) -> str:
    """What a stage's label says of its output: its spatial size, or its number of tokens."""
    if u.out_hw:
        return _hw_txt(u.out_hw)
    if u.tokens and u.out_shape is not None:
        return tr("arch_tokens", lang, n=u.out_shape[1])
    return "×".join(str(d) for d in (u.out_shape or ())[1:])


def _same_box(a: Block, b: Block) -> bool:
    return (a.type, a.out_ch, a.out_hw, a.downsample) == (b.type, b.out_ch, b.out_hw, b.downsample)


def _conv_name(u: Unit) -> str:
    k = _int(u.module.kernel_size) if u.module is not None and hasattr(u.module, "kernel_size") else None
    return f"conv {k}×{k}" if k else "conv"


def _items(spec: Architecture, lang: str, collapse: bool) -> list[dict]:
    """What is drawn, left to right: dicts with the unit indices each item stands for."""
    units = spec.units
    items: list[dict] = []

    def add(group, kind, lines, unit_ids, **extra):
        items.append(dict(group=group, kind=kind, lines=lines, units=list(unit_ids), **extra))

    shape = spec.input_size
    dims = "×".join(str(d) for d in shape[1:])
    add("input", "input", [tr("input", lang), dims], [-1], hw=_hw_from(shape))
    for i in spec.stem_units:
        _add_unit(add, "stem", units[i], lang, spec)
    convs = [_conv_name(units[i]) for stage in spec.stages for i in stage.units if units[i].kind == "conv"]
    usual = max(sorted(set(convs)), key=convs.count) if convs else ""  # the legend's convolution
    for si, stage in enumerate(spec.stages):
        ids = stage.units
        j = 0
        while j < len(ids):
            u = units[ids[j]]
            if _is_stage_block(u, stage):
                run = [u.index]
                b = _block(u)
                while (collapse and j + len(run) < len(ids)
                       and _is_stage_block(units[ids[j + len(run)]], stage)
                       and _same_box(_block(units[ids[j + len(run)]]), b)
                       and not any(s.src == run[-1] for s in spec.skips)):
                    run.append(ids[j + len(run)])
                n = len(run)
                kind = "upconv" if u.kind == "upconv" else "block"
                second = [f"×{n}"] if n > 1 else []
                if u.kind == "conv" and _conv_name(u) != usual:  # a U-Net's 1×1 head: not a stray mark
                    second = [_conv_name(u).removeprefix("conv ")]
                key = "arch_stage" if spec.family == "residual" else "arch_block"
                label = [tr(key, lang, i=si + 1), _size_txt(units[run[-1]], lang)]  # as drawn under it
                add(f"stage{si}", kind, [str(b.out_ch)] + second, run,
                    count=n, block=b, stage=si, hw=u.out_hw, stage_label=label)
                j += n
            else:
                _add_unit(add, f"stage{si}", u, lang, spec)
                j += 1
    for i in spec.head_units:
        _add_unit(add, "head", units[i], lang, spec)
    if items[-1]["kind"] == "fc" and spec.num_classes:
        items[-1]["sub"] = f"{spec.num_classes} {tr('classes', lang)}"
    return items


def _hw_from(shape) -> tuple[int, int] | None:
    return (int(shape[-2]), int(shape[-1])) if shape is not None and len(shape) >= 4 else None


def _is_stage_block(u: Unit, stage: Stage) -> bool:
    return any(b.name == u.name and b.out_hw == u.out_hw for b in stage.blocks) and u.kind in (
        "block", "conv", "upconv")


def _add_unit(add, group: str, u: Unit, lang: str, spec: Architecture) -> None:
    if u.kind == "conv":
        stride = _stride(u)
        add(group, "conv", [_conv_name(u), f"{u.out_ch}" + (f", /{stride}" if stride > 1 else "")],
            [u.index], sub=_hw_txt(u.out_hw) if u.out_hw else None, hw=u.out_hw)
    elif u.kind == "pool":
        add(group, "bar", [], [u.index], hw=u.in_hw, pool=u)
    elif u.kind == "upsample":
        add(group, "upbar", [], [u.index], hw=u.out_hw)
    elif u.kind in ("cat", "add") or (u.params and len(u.inputs) == 1 and u.type in ("add", "cat")):
        if u.params and len(u.inputs) == 1:  # a parameter joined to the data (class token, positions)
            add(group, "layer", ["+ " + u.params[0].rsplit(".", 1)[-1]], [u.index], hw=u.out_hw)
            return
        add(group, "merge", ["C" if u.kind == "cat" else "+"], [u.index], hw=u.out_hw, merge=u.kind)
    elif u.kind == "avgpool":
        if u.out_hw == (1, 1):
            add(group, "avgpool", tr("arch_gap", lang).split("\n"), [u.index], sub=_hw_txt(u.out_hw),
                hw=u.in_hw)
        elif u.out_hw != u.in_hw:  # an adaptive pool that is a no-op for this input is not drawn
            add(group, "avgpool", ["avg pool", _hw_txt(u.out_hw)], [u.index], hw=u.out_hw)
    elif u.kind == "fc":
        add(group, "fc", ["FC", str(u.out_shape[-1] if u.out_shape is not None else u.out_ch)], [u.index], hw=None)
    elif u.kind == "upconv":
        add(group, "upconv", [str(u.out_ch)], [u.index], hw=u.out_hw, block=_block(u), count=1)
    elif u.kind == "block":
        add(group, "block", [str(u.out_ch)], [u.index], hw=u.out_hw, block=_block(u), count=1)
    else:
        lines = [u.type] + ([str(u.out_ch)] if u.out_ch else [])
        add(group, "layer", lines, [u.index], hw=u.out_hw)


def _legend_entries(spec: Architecture, items: list[dict], lang: str) -> list[tuple[str, str]]:
    """(what the sample shows, text) for every kind of item drawn."""
    kinds = {it["kind"] for it in items}
    out = []
    if spec.family == "residual":
        tokens = spec.units[spec.stages[0].units[0]].tokens
        out.append(("block", tr("arch_token_legend" if tokens else "arch_box_legend", lang,
                                block=spec.stages[0].blocks[0].type)))
        out.append(("identity", tr("arch_identity", lang)))
        if any(b.downsample for st in spec.stages for b in st.blocks):
            out.append(("projection", tr("arch_projection", lang)))
    elif "block" in kinds:
        convs = [spec.units[i] for it in items if it["kind"] == "block" for i in it["units"]]
        names = {_conv_name(u) + (" + " + " + ".join(u.folded) if u.folded else "") for u in convs}
        conv = names.pop() if len(names) == 1 else "conv"
        out.append(("block", tr("arch_conv_legend", lang, conv=conv)))
    if "upconv" in kinds:
        u = spec.units[next(it for it in items if it["kind"] == "upconv")["units"][0]]
        k = _int(u.module.kernel_size) if hasattr(u.module, "kernel_size") else 2
        out.append(("upconv", tr("arch_upconv_legend", lang, k=k, s=_int(getattr(u.module, "stride", 2)))))
    if "bar" in kinds:
        pool = next(it for it in items if it["kind"] == "bar")["pool"]
        kind = "max" if "max" in pool.type.lower() else "avg"
        out.append(("bar", tr("arch_pool", lang, kind=kind, s=_stride(pool))))
    if "upbar" in kinds:
        out.append(("upbar", tr("arch_upsample", lang)))
    merges = {it.get("merge") for it in items if it["kind"] == "merge"}
    if "cat" in merges:
        out.append(("cat", tr("arch_cat_legend", lang)))
    if "add" in merges:
        out.append(("add", tr("arch_add_legend", lang)))
    return out
