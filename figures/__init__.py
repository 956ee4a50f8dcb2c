"""Figures for the ConvNets lecture, computed from the models themselves.

Importing this package is cheap (no torch, no matplotlib): builders are
loaded on first access.

    from figures import first_conv_kernels, cached
    cached(first_conv_kernels, "resnet50", lang="fr")
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # builders -> SVGFigure
    "first_conv_kernels": "kernels",
    "activation_curves": "activations",
    "softmax_bars": "activations",
    "architecture": "architectures",
    "conv_illustration": "convolution",
    "pool_illustration": "pooling",
    "feature_maps": "photo_maps",
    # -> SummaryTable
    "model_summary": "summary",
    # helpers
    "architecture_stages": "blocks",
    "architecture_spec": "blocks",
    "load_first_conv": "weights",
    "load_model": "weights",
    "cached": "cache",
    "SVGFigure": "output",
    "SummaryTable": "summary",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'figures' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
