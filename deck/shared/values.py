"""What kind of value a cell gave, recognised by what it does, without importing torch (a deck
without torch never pays for it). A class is never its instances: `torch.Tensor` itself has the
attributes of a tensor, as descriptors."""
from __future__ import annotations


def is_tensor(value) -> bool:
    return not isinstance(value, type) and all(hasattr(value, a) for a in ("dim", "numel", "device"))


def is_module(value) -> bool:
    """An nn.Module (or anything that holds parameters as one does)."""
    return not isinstance(value, type) and hasattr(value, "parameters") and hasattr(value, "named_modules")
