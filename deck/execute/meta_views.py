"""`#| meta: true` cells: they see meta copies (shapes, no values) of the models and tensors earlier
cells made."""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def meta_views(ns: dict):
    """A meta cell sees meta copies of the models and tensors earlier cells made (real ones cannot meet
    meta tensors); names the cell does not rebind get their real objects back afterwards."""
    swapped = {}
    for name, value in list(ns.items()):
        view = meta_view(value)
        if view is not value:
            swapped[name] = (value, view)
            ns[name] = view
    try:
        yield
    finally:
        for name, (real, view) in swapped.items():
            if ns.get(name) is view:
                ns[name] = real


def meta_view(value, depth: int = 0):
    import copy

    import torch

    if isinstance(value, torch.nn.Module):
        tensors = [*value.parameters(), *value.buffers()]
        if all(t.device.type == "meta" for t in tensors):
            return value
        memo = {id(t): (torch.nn.Parameter(t.to("meta"), requires_grad=t.requires_grad)
                        if isinstance(t, torch.nn.Parameter) else t.to("meta")) for t in tensors}
        return copy.deepcopy(value, memo)  # the structure only: every weight is replaced by its meta twin
    if isinstance(value, torch.Tensor):
        return value if value.device.type == "meta" else value.detach().to("meta").requires_grad_(value.requires_grad)
    if depth == 0 and isinstance(value, (dict, list, tuple)):  # `models = {18: resnet18, ...}`
        items = value.items() if isinstance(value, dict) else enumerate(value)
        views = {k: meta_view(v, 1) for k, v in items}
        if all(views[k] is v for k, v in (value.items() if isinstance(value, dict) else enumerate(value))):
            return value
        return views if isinstance(value, dict) else type(value)(views[i] for i in range(len(value)))
    return value
