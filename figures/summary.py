"""Compact model summary table (layers, output shapes, parameters) for a slide.

Shapes come from a forward pass on the meta device (no activation is ever
allocated); parameters are counted once even when shared between modules.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from ._trace import as_model, trace
from .labels import pretty_model_name, resolve_lang, tr
from .number_format import fmt_number
from .output import warn


@dataclass
class SummaryRow:
    name: str  # qualified module name ("layer1.0"), or a range "layer3.1–5" when collapsed
    type: str  # class name, "Bottleneck ×5" when collapsed
    output_shape: tuple[int, ...] | None  # None: module not called by forward()
    params: int  # parameters first seen in this row (shared ones counted once)
    depth: int = 1
    count: int = 1  # identical consecutive modules merged in this row


@dataclass
class SummaryTable:
    rows: list[SummaryRow]
    trainable: int
    frozen: int  # parameters with requires_grad=False
    buffers: int  # elements of the buffers (BatchNorm statistics...)
    total: int  # trainable + frozen
    lang: str = "fr"
    title: str = ""
    input_size: tuple[int, ...] = ()
    output_shape: tuple[int, ...] | None = None
    extra: dict = field(default_factory=dict)

    # ------------------------------------------------------------------
    def _num(self, n: int) -> str:
        return fmt_number(n, self.lang)

    @staticmethod
    def _shape(shape) -> str:
        return "—" if shape is None else "[" + ", ".join(str(s) for s in shape) + "]"

    def _repr_html_(self) -> str:
        label = lambda key, **kw: html.escape(tr(key, self.lang, **kw))  # noqa: E731
        num = ' class="num" style="text-align:right"'
        out = [f'<table class="summary" lang="{self.lang}">']
        if self.title:
            cap = tr("sum_caption", self.lang, model=self.title,
                     shape=self._shape(self.input_size))
            out.append(f"<caption>{html.escape(cap)}</caption>")
        out.append(
            f"<thead><tr><th>{label('sum_layer')}</th><th>{label('sum_type')}</th>"
            f"<th>{label('sum_shape')}</th><th{num}>{label('sum_params')}</th></tr></thead>"
        )
        out.append("<tbody>")
        for r in self.rows:
            out.append(
                f'<tr class="d{r.depth}"><td>{html.escape(r.name)}</td>'
                f"<td>{html.escape(r.type)}</td><td>{html.escape(self._shape(r.output_shape))}</td>"
                f"<td{num}>{html.escape(self._num(r.params))}</td></tr>"
            )
        out.append("</tbody><tfoot>")
        for key, value in (("sum_trainable", self.trainable), ("sum_frozen", self.frozen),
                           ("sum_buffers", self.buffers), ("sum_total", self.total)):
            out.append(f'<tr><th colspan="3">{label(key)}</th>'
                       f"<td{num}>{html.escape(self._num(value))}</td></tr>")
        out.append("</tfoot></table>")
        return "".join(out)

    def to_text(self) -> str:
        """Plain-text rendering (for logs and debugging)."""
        cols = [(r.name, r.type, self._shape(r.output_shape), self._num(r.params))
                for r in self.rows]
        head = (tr("sum_layer", self.lang), tr("sum_type", self.lang),
                tr("sum_shape", self.lang), tr("sum_params", self.lang))
        widths = [max(len(c[i]) for c in cols + [head]) for i in range(4)]
        line = lambda c: "  ".join(  # noqa: E731
            (s.rjust(w) if i == 3 else s.ljust(w)) for i, (s, w) in enumerate(zip(c, widths)))
        lines = [line(head)] + [line(c) for c in cols]
        for key, value in (("sum_trainable", self.trainable), ("sum_frozen", self.frozen),
                           ("sum_buffers", self.buffers), ("sum_total", self.total)):
            lines.append(f"{tr(key, self.lang)}: {self._num(value)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _depth(name: str) -> int:
    return 0 if name == "" else name.count(".") + 1


def _parent(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""


def _range_name(first: str, last: str, sep: str = " … ") -> str:
    """("layer3.1", "layer3.5") -> "layer3.1–5"; ("bn1", "relu") -> "bn1 … relu"."""
    a, b = first.rsplit(".", 1)[-1], last.rsplit(".", 1)[-1]
    if re.fullmatch(r"\d+", a) and re.fullmatch(r"\d+", b) and _parent(first) == _parent(last):
        return f"{first}–{b}"
    return f"{first}{sep}{b}"


def _is_activation(module) -> bool:
    """Element-wise, parameter-free modules (activations, dropout, identity)."""
    mod = type(module).__module__
    return mod in ("torch.nn.modules.activation", "torch.nn.modules.dropout") or (
        type(module).__name__ == "Identity"
    )


def model_summary(
    model: Any,
    input_size,
    *,
    lang: str | None = None,
    depth: int = 2,
    collapse: bool = True,
    fold_activations: bool = True,
    max_rows: int | None = 14,
    dtype=None,
) -> SummaryTable:
    """Table of ``model``'s modules down to ``depth`` (deeper modules are folded into
    their ancestor at ``depth``), with output shapes measured on the meta device.

    ``model`` is an ``nn.Module`` (left unchanged) or a torchvision model name.
    ``collapse=True`` merges consecutive sibling rows of the same type, output
    shape and parameter count into one "×N" row. Totals: trainable and frozen
    (``requires_grad=False``) parameters, each shared Parameter counted once;
    buffers counted apart. ``fold_activations`` writes a parameter-free
    activation/dropout following a layer of the same output shape on that
    layer's row ("Conv2d + ReLU"). A table longer than ``max_rows`` rows
    (too long for a slide) triggers a warning.
    """
    lang = resolve_lang(lang)
    if depth < 1:
        raise ValueError("depth must be >= 1")
    net, name = as_model(model)
    records, out_shape = trace(net, input_size, dtype=dtype)

    # which modules get a row: at the depth cut, or leaves above it ("subtree"
    # rows, holding all their parameters), plus containers above the cut that
    # own parameters directly ("own" rows), so that the rows add up to the total
    selected: list[tuple[str, Any, bool]] = []  # (name, module, recurse)
    if any(True for _ in net.parameters(recurse=False)):
        selected.append(("", net, False))
    for qname, module in net.named_modules():
        d = _depth(qname)
        if d == 0 or d > depth:
            continue
        has_children = any(True for _ in module.children())
        if d == depth or not has_children:
            selected.append((qname, module, True))
        elif any(True for _ in module.parameters(recurse=False)):
            selected.append((qname, module, False))

    seen: set[int] = set()
    raw: list[tuple[SummaryRow, tuple, bool]] = []  # (row, collapse key, foldable)
    for qname, module, recurse in selected:
        n = 0
        for p in module.parameters(recurse=recurse):
            if id(p) not in seen:
                seen.add(id(p))
                n += p.numel()
        rec = records.get(qname)
        shape = rec.out_shape if rec is not None else None
        label = qname or tr("sum_root", lang)
        row = SummaryRow(label, type(module).__name__, shape, int(n), _depth(qname) or 1)
        foldable = (fold_activations and recurse and n == 0 and _is_activation(module)
                    and shape is not None)
        raw.append((row, (recurse, _parent(qname), row.depth), foldable))

    # activations/dropout right after a layer of the same output shape: one row
    folded: list[list] = []  # [row, where, name of the last module on the row]
    for row, where, foldable in raw:
        if folded and foldable:
            prev, prev_where, _ = folded[-1]
            if prev_where == where and prev.output_shape == row.output_shape:
                prev.type += f" + {row.type}"
                folded[-1][2] = row.name
                continue
        folded.append([row, where, row.name])

    # identical consecutive siblings: one "×N" row
    rows: list[SummaryRow] = []
    keys: list[tuple] = []
    firsts: list[str] = []
    for row, where, last in folded:
        key = where + (row.type, row.output_shape, row.params)
        if collapse and rows and where[0] and keys[-1] == key:
            prev = rows[-1]
            prev.count += 1
            prev.params += row.params
            prev.name = _range_name(firsts[-1], last)
            prev.type = f"{row.type} ×{prev.count}"
            continue
        if last != row.name:  # activation folded in
            row.name = _range_name(row.name, last, " + ")
        rows.append(row)
        keys.append(key)
        firsts.append(row.name.split("–")[0].split(" … ")[0])
    if max_rows and len(rows) > max_rows:
        hint = f"depth={depth - 1}" if depth > 1 else "collapse=True"
        warn(tr("warn_rows", lang, n=len(rows), max=max_rows, hint=hint))

    params = list(net.parameters())  # deduplicated by PyTorch
    trainable = sum(p.numel() for p in params if p.requires_grad)
    frozen = sum(p.numel() for p in params if not p.requires_grad)
    buffers = sum(b.numel() for b in net.buffers())
    title = pretty_model_name(name) if name else type(net).__name__
    return SummaryTable(
        rows=rows, trainable=int(trainable), frozen=int(frozen), buffers=int(buffers),
        total=int(trainable + frozen), lang=lang, title=title,
        input_size=tuple(input_size), output_shape=out_shape,
    )
