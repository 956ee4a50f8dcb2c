"""Run a model on the meta device with forward hooks (shapes only, no memory)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Call:
    """Shapes seen by a module's forward hook (first call), and its call count."""

    in_shape: tuple[int, ...] | None
    out_shape: tuple[int, ...] | None
    calls: int = 1


def build_meta(name: str):
    """torchvision model ``name`` built directly on the meta device (no init cost)."""
    import torch
    import torchvision

    with torch.device("meta"):
        return torchvision.models.get_model(name, weights=None)


def as_model(model: Any):
    """(nn.Module, torchvision name or None) for a name or a module."""
    if isinstance(model, str):
        return build_meta(model), model
    return model, None


def _first_shape(obj) -> tuple[int, ...] | None:
    import torch

    if isinstance(obj, torch.Tensor):
        return tuple(obj.shape)
    if isinstance(obj, (list, tuple)):
        for item in obj:
            shape = _first_shape(item)
            if shape is not None:
                return shape
    if isinstance(obj, dict):
        for item in obj.values():
            shape = _first_shape(item)
            if shape is not None:
                return shape
    return None


def trace(model, input_size, *, dtype=None) -> tuple[dict[str, Call], tuple[int, ...] | None]:
    """Forward a meta tensor of ``input_size`` through ``model`` in eval mode.

    The module itself is not modified: its parameters and buffers are replaced,
    for the duration of the call, by meta tensors of the same shapes
    (``torch.func.functional_call``); training flags are restored afterwards.
    Returns ({qualified module name: Call}, output shape).
    """
    import torch
    from torch.func import functional_call

    dtype = dtype or torch.float32
    records: dict[str, Call] = {}

    def make_hook(name):
        def hook(module, args, output):
            rec = records.get(name)
            if rec is None:
                records[name] = Call(_first_shape(args), _first_shape(output))
            else:
                rec.calls += 1

        return hook

    handles = [m.register_forward_hook(make_hook(n)) for n, m in model.named_modules()]
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        x = torch.empty(tuple(input_size), device="meta", dtype=dtype)
        substitutes = {n: torch.empty_like(t, device="meta") for n, t in model.named_parameters()}
        substitutes.update(
            {n: torch.empty_like(t, device="meta") for n, t in model.named_buffers()}
        )
        with torch.no_grad():
            out = functional_call(model, substitutes, (x,))
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.training = mode
    return records, _first_shape(out)
