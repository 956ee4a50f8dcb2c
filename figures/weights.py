"""Which weights a figure shows: torchvision models with their pretrained weights, or a
deterministic untrained fallback that the figure says it shows.

Pretrained weights are looked up in the local torch hub cache (``$TORCH_HOME/hub/checkpoints/<file>``);
when the file is missing the figure shows deterministic untrained weights, says so on the picture
and warns the lecturer.
"""

from __future__ import annotations

import copy
import os
from typing import Any, NamedTuple

from .labels import pretty_model_name, resolve_lang, tr
from .output import warn
from .palette import MUTED, WARNING, WHITE

UNTRAINED_SEED = 0


class LoadedModel(NamedTuple):
    model: Any  # nn.Module
    pretrained: bool | None  # None: an nn.Module given as is, provenance unknown
    checkpoint: str | None  # file the weights were (or should have been) read from
    status: str  # "pretrained" | "given" | "untrained_missing" | "untrained_unreadable" | "untrained_explicit"
    name: str  # display name, e.g. "ResNet-50"
    weights_name: str | None  # e.g. "IMAGENET1K_V2"


class FirstConv(NamedTuple):
    module: Any  # nn.Conv2d
    pretrained: bool | None
    checkpoint: str | None
    layer: str  # qualified module name, e.g. "conv1" or "features.0"
    loaded: LoadedModel


def resolve_weights(name: str, weights: Any):
    """torchvision weights enum member for model ``name``.

    ``weights`` may be ``None``, ``"DEFAULT"``, a member name
    (``"IMAGENET1K_V1"``), a full name (``"ResNet50_Weights.IMAGENET1K_V1"``)
    or an enum member.
    """
    if weights is None:
        return None
    from torchvision.models import WeightsEnum, get_model_weights

    if isinstance(weights, WeightsEnum):
        return weights
    enum = get_model_weights(name)
    key = str(weights).split(".")[-1]
    if key == "DEFAULT":
        return enum.DEFAULT
    try:
        return enum[key]
    except KeyError:
        raise ValueError(
            f"unknown weights {weights!r} for {name}; choose among {[w.name for w in enum]}"
        ) from None


def checkpoint_path(weights) -> str:
    """Where torch hub would store the checkpoint of ``weights`` (a weights enum)."""
    import torch
    from urllib.parse import urlparse

    filename = os.path.basename(urlparse(weights.url).path)
    return os.path.join(torch.hub.get_dir(), "checkpoints", filename)


def expected_checkpoint(model: Any, weights: Any = "DEFAULT", checkpoint: str | None = None):
    """The checkpoint file a figure depends on (``None`` if none), for cache keys."""
    if checkpoint is not None:
        return os.fspath(checkpoint)
    if isinstance(model, str) and weights is not None:
        return checkpoint_path(resolve_weights(model, weights))
    if not isinstance(model, str) and weights is not None and not isinstance(weights, str):
        return checkpoint_path(weights)
    return None


def _read_state_dict(path: str):
    import torch

    sd = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(sd, dict):
        for key in ("state_dict", "model"):
            if key in sd and isinstance(sd[key], dict):
                sd = sd[key]
    return sd


def _build_untrained(name: str, seed: int = UNTRAINED_SEED, **config):
    import torch
    import torchvision

    # seeded without touching the caller's global RNG stream
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return torchvision.models.get_model(name, weights=None, **config)


def load_model(
    model: Any = "resnet50",
    weights: Any = "DEFAULT",
    *,
    checkpoint: str | os.PathLike | None = None,
    lang: str | None = None,
) -> LoadedModel:
    """Model with pretrained weights from the local cache, never downloaded.

    * ``model`` a torchvision name: the checkpoint is ``checkpoint`` if given,
      else the file torch hub would have downloaded for ``weights``.
    * ``model`` an ``nn.Module``: used as is (deep-copied before loading), unless
      ``checkpoint`` (a path) or ``weights`` (a torchvision weights enum member)
      says which file to load into it.

    When the file is missing (or unreadable) the weights stay untrained
    (deterministic seed) and a ``UserWarning`` names the missing path.
    """
    import torch
    import torchvision

    lang = resolve_lang(lang)
    if checkpoint is not None:
        checkpoint = os.fspath(checkpoint)

    if isinstance(model, str):
        name = model
        display = pretty_model_name(name)
        wenum = resolve_weights(name, weights)
        config = {}
        if wenum is not None and "categories" in wenum.meta:
            config["num_classes"] = len(wenum.meta["categories"])
        if checkpoint is None and wenum is not None:
            checkpoint = checkpoint_path(wenum)
        weights_name = wenum.name if wenum is not None else None
        if checkpoint is None:
            return LoadedModel(
                _build_untrained(name, **config), False, None, "untrained_explicit", display, None
            )
        url = wenum.url if wenum is not None else checkpoint
        if os.path.isfile(checkpoint):
            try:
                with torch.device("meta"):
                    net = torchvision.models.get_model(name, weights=None, **config)
                net.load_state_dict(_read_state_dict(checkpoint), assign=True)
                net.eval()
                return LoadedModel(net, True, checkpoint, "pretrained", display, weights_name)
            except Exception as exc:  # corrupt or mismatching file
                warn(tr("warn_unreadable", lang, path=checkpoint, error=exc))
                return LoadedModel(
                    _build_untrained(name, **config).eval(), False, checkpoint,
                    "untrained_unreadable", display, weights_name,
                )
        warn(tr("warn_missing", lang, path=checkpoint, url=url))
        return LoadedModel(
            _build_untrained(name, **config).eval(), False, checkpoint,
            "untrained_missing", display, weights_name,
        )

    # an nn.Module
    net = model
    display = type(model).__name__
    weights_name = None
    if checkpoint is None and weights is not None and not isinstance(weights, str):
        checkpoint = checkpoint_path(weights)
        weights_name = weights.name
    if checkpoint is None:
        return LoadedModel(net, None, None, "given", display, None)
    if os.path.isfile(checkpoint):
        try:
            net = copy.deepcopy(model)
            net.load_state_dict(_read_state_dict(checkpoint))
            return LoadedModel(
                net, True, checkpoint, "pretrained", display,
                weights_name or os.path.basename(checkpoint),
            )
        except Exception as exc:
            warn(tr("warn_unreadable", lang, path=checkpoint, error=exc))
            return LoadedModel(model, False, checkpoint, "untrained_unreadable", display, weights_name)
    warn(tr("warn_missing", lang, path=checkpoint, url=getattr(weights, "url", "?")))
    return LoadedModel(model, False, checkpoint, "untrained_missing", display, weights_name)


def find_first_conv(net) -> tuple[str, Any]:
    """(qualified name, module) of the first ``nn.Conv2d`` in module order."""
    import torch.nn as nn

    for qname, module in net.named_modules():
        if isinstance(module, nn.Conv2d):
            return qname, module
    raise ValueError(f"{type(net).__name__} has no nn.Conv2d")


def load_first_conv(
    model: Any = "resnet50",
    weights: Any = "DEFAULT",
    *,
    checkpoint: str | os.PathLike | None = None,
    lang: str | None = None,
) -> FirstConv:
    """First ``nn.Conv2d`` of ``model`` with weights loaded as in :func:`load_model`."""
    loaded = load_model(model, weights, checkpoint=checkpoint, lang=lang)
    layer, conv = find_first_conv(loaded.model)
    return FirstConv(conv, loaded.pretrained, loaded.checkpoint, layer, loaded)


def draw_provenance(fig, loaded: LoadedModel, lang: str, fonts: dict[str, float], *,
                    y: float = 0.005) -> str:
    """Bottom-left note on the weights; a visible warning box when untrained (no warning sign:
    the deck's font has none, the red box says it)."""
    label = provenance_label(loaded.status, lang, loaded.weights_name)
    if loaded.status.startswith("untrained"):
        fig.text(0.01, y, label, ha="left", va="bottom", fontsize=fonts["small"], color=WHITE,
                 fontweight="bold", bbox=dict(boxstyle="round,pad=0.35", fc=WARNING, ec="none"))
    else:
        fig.text(0.01, y, label, ha="left", va="bottom", fontsize=fonts["small"], color=MUTED)
    return label


def checkpoint_inputs(model="resnet50", *, weights="DEFAULT", checkpoint=None, **_):
    """Checkpoint files the figure depends on (used by :mod:`figures.cache`)."""
    path = expected_checkpoint(model, weights, checkpoint)
    return [path] if path else []


def provenance_label(status: str, lang: str, weights_name: str | None = None) -> str:
    """Text saying where the drawn weights come from."""
    if status == "pretrained":
        return tr("pretrained", lang, name=weights_name or "")
    if status == "given":
        return tr("given_weights", lang)
    return tr(status, lang)
