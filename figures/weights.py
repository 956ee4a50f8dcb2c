"""Which weights a figure shows: torchvision models with their pretrained weights, or a
deterministic untrained fallback that the figure says it shows.

Pretrained weights come from the torch hub cache (``$TORCH_HOME/hub/checkpoints/<file>``),
downloaded there first as torchvision does (``torch.hub.load_state_dict_from_url``, hash checked).
A figure whose weights file is absent shows deterministic untrained weights and says so on the
picture: the same picture whether deck ran offline or the download failed, so that it is a result
like any other, cached while the file stays absent. Whether a download is tried is
:func:`download_setting`'s answer: never offline; on a machine without network, at most once an hour
(the time of the last attempt is kept beside the cache, in :data:`ATTEMPTS_FILE`, never in an output)
or at once on ``--refresh-weights``; a failed attempt gives up within :data:`PROBE_TIMEOUT_S`.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from deck.shared.files import cache_root, write_atomic
from deck.shared.inputs import note_input

from .labels import pretty_model_name, resolve_lang, tr
from .output import warn
from .palette import MUTED, WARNING, WHITE

if TYPE_CHECKING:
    from deck.settings import Settings

UNTRAINED_SEED = 0


class LoadedModel(NamedTuple):
    model: Any  # nn.Module
    pretrained: bool | None  # None: an nn.Module given as is, provenance unknown
    checkpoint: str | None  # file the weights were (or should have been) read from
    # "pretrained" | "given" | "untrained_explicit" | "untrained_not_downloaded" (offline, or the
    # download failed: one status, one picture) | "untrained_missing" (a checkpoint path that is not
    # there) | "untrained_unreadable"
    status: str
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
    from urllib.parse import urlparse

    import torch

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


def download_setting(settings: Settings | None = None) -> str:
    """When a missing pretrained weights file is downloaded: ``"never"`` (``--offline``),
    ``"now"`` (``--refresh-weights``: this process tries each file once, whenever it last tried) or
    ``"hourly"`` (at most once an hour after a failed attempt).

    The one place deck's settings for weights are read: from ``settings`` when given, else the
    settings of the build in progress (``deck.settings.current()``: the command line's ``--offline``
    and ``--refresh-weights``, or ``DECK_OFFLINE=1`` and ``DECK_REFRESH_WEIGHTS=1``)."""
    if settings is None:
        from deck.settings import current

        settings = current()
    return "never" if settings.offline else "now" if settings.refresh_weights else "hourly"


def offline() -> bool:
    """True when the build runs offline (``--offline`` or ``DECK_OFFLINE=1``): no download."""
    return download_setting() == "never"


#: how long a started download may stall before it counts as failed (torch hub sets no timeout)
DOWNLOAD_TIMEOUT_S = 30
#: how long finding the weights' server (DNS and a TCP connection) may take before a download is
#: given up: without network a build waits this long at most, once an hour
PROBE_TIMEOUT_S = 2.0
#: a failed download is tried again by the first build after this many seconds
RETRY_AFTER_S = 3600
#: beside the caches: per weights file, its URL and the time of the last download attempt
ATTEMPTS_FILE = "weights-attempts.json"

_tried_now: set[str] = set()  # files this process tried under "now" (a --watch worker: once)


def _key(path) -> str:
    """How the record names a file: as the cell cache does (symbolic links resolved)."""
    return os.path.realpath(os.fspath(path))


def _attempts_path() -> Path:
    return cache_root() / ATTEMPTS_FILE


def _attempts() -> dict[str, dict]:
    try:
        data = json.loads(_attempts_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or damaged: every file may be tried
    return data if isinstance(data, dict) else {}


def _remember(path: str, url: str, tried: float | None = None) -> None:
    """Keep `url` for `path` (so that a cached fallback can be retried without running its cell)
    and, when given, the time of an attempt."""
    data, path = _attempts(), _key(path)
    entry = cast(dict, data.get(path)) if isinstance(data.get(path), dict) else {}
    new = {"url": url, "tried": tried if tried is not None else entry.get("tried")}
    if new != entry:
        data[path] = new
        write_atomic(_attempts_path(), json.dumps(data, indent=1, sort_keys=True), best_effort=True)


def download_due(path: str) -> bool:
    """May the missing weights file `path` be downloaded now?"""
    path, setting = _key(path), download_setting()
    if setting == "never":
        return False
    if setting == "now" and path not in _tried_now:
        return True
    entry = _attempts().get(path)
    tried = entry.get("tried") if isinstance(entry, dict) else None
    return not isinstance(tried, (int, float)) or time.time() - tried >= RETRY_AFTER_S


def _probe(url: str) -> None:
    """Raise URLError unless the weights' server (or the proxy urllib goes through) accepts a TCP
    connection within PROBE_TIMEOUT_S. The lookup runs in a thread: a DNS query ignores socket
    timeouts, and an unreachable resolver would hold the build for tens of seconds."""
    from urllib.error import URLError
    from urllib.parse import urlparse
    from urllib.request import getproxies, proxy_bypass

    parts = urlparse(url)
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    proxy = getproxies().get(parts.scheme)
    if proxy and not proxy_bypass(host or ""):
        via = urlparse(proxy if "://" in proxy else f"http://{proxy}")
        host, port = via.hostname, via.port or 80
    outcome: list[BaseException | None] = []

    def connect():
        try:
            socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S).close()
            outcome.append(None)
        except TimeoutError:  # the connect's own timeout can end just before the join's
            outcome.append(URLError(f"no answer from {host} within {PROBE_TIMEOUT_S:g} s"))
        except OSError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=connect, name="deck-weights-probe", daemon=True)
    thread.start()
    thread.join(PROBE_TIMEOUT_S)
    if not outcome:
        raise URLError(f"no answer from {host} within {PROBE_TIMEOUT_S:g} s")
    if isinstance(outcome[0], URLError):
        raise outcome[0]
    if outcome[0] is not None:
        raise URLError(outcome[0])


def download(path: str, url: str):
    """Download the weights of `url` into torch hub's cache (`path`) as torchvision does, noting the
    attempt's time; the state dict, or None when it failed (said on stderr, for this build only: the
    figure's own warning, kept with it in the caches, says only that the weights are absent)."""
    import torch

    if download_setting() == "now":
        _tried_now.add(_key(path))
    _remember(path, url, time.time())
    try:
        _probe(url)
        # torch.hub says "Downloading ..." on stdout, which a cell shows on its slide: the
        # lecturer's terminal is where it belongs (the progress bar is on stderr already)
        with _socket_timeout(DOWNLOAD_TIMEOUT_S), contextlib.redirect_stdout(sys.stderr):
            # torchvision's own call (WeightsEnum.get_state_dict): same file, same hash check
            return torch.hub.load_state_dict_from_url(
                url, map_location="cpu", progress=True, check_hash=True, weights_only=True)
    except Exception as exc:  # no network, HTTP error, wrong hash, interrupted transfer
        print(f"deck: download of the pretrained weights {url} failed ({_describe(exc)}); the next "
              f"attempt is in an hour, or now with --refresh-weights", file=sys.stderr)
        return None


def retry_missing(paths) -> None:
    """Before a cached result that shows a fallback is reused: download the weights files among
    `paths` that are still absent, when due (the result is then drawn anew, with them)."""
    known = _attempts() if paths else {}
    for path in map(_key, paths):
        entry = known.get(path)
        if isinstance(entry, dict) and isinstance(entry.get("url"), str) and not os.path.isfile(path) \
                and download_due(path):
            download(path, entry["url"])


@contextlib.contextmanager
def _socket_timeout(seconds: float):
    saved = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(saved)


class _Weights(NamedTuple):
    state: dict | None  # None: none could be had, see status
    status: str
    path: str
    problem: str | None  # the warning for the lecturer, when there is one


def _fetch(checkpoint: str | None, wenum, lang: str) -> _Weights:
    """The state dict to show: from ``checkpoint`` (a file), else from torch hub's cache, downloaded
    there first as torchvision does when :func:`download_due`."""
    if checkpoint is None:
        path = checkpoint_path(wenum)
        note_input(path)  # a cached slide shows these weights only while this file is as it was
        if not os.path.isfile(path):
            state = download(path, wenum.url) if download_due(path) else None
            if state is None:
                _remember(path, wenum.url)  # a later build may retry before running this cell
                return _Weights(None, "untrained_not_downloaded", path,
                                tr("warn_not_downloaded", lang, url=wenum.url))
            return _Weights(state, "pretrained", path, None)
    else:
        path = checkpoint
        note_input(path)
        if not os.path.isfile(path):
            return _Weights(None, "untrained_missing", path, tr("warn_missing", lang, path=path))
    try:
        return _Weights(_read_state_dict(path), "pretrained", path, None)
    except Exception as exc:  # corrupt or not a checkpoint
        return _Weights(None, "untrained_unreadable", path,
                        tr("warn_unreadable", lang, path=path, error=_describe(exc)))


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def load_model(
    model: Any = "resnet50",
    weights: Any = "DEFAULT",
    *,
    checkpoint: str | os.PathLike | None = None,
    lang: str | None = None,
) -> LoadedModel:
    """Model with its pretrained weights.

    * ``model`` a torchvision name: the weights are read from ``checkpoint`` if given, else from
      the file torch hub keeps for ``weights`` (downloaded there first, as torchvision does, when
      :func:`download_due`).
    * ``model`` an ``nn.Module``: used as is (deep-copied before loading), unless ``checkpoint``
      (a path) or ``weights`` (a torchvision weights enum member) says which weights to load.

    When no weights can be had (not downloaded, file missing or unreadable) the model
    stays untrained (deterministic seed) and a ``UserWarning`` says why.
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
        if checkpoint is None and wenum is None:
            return LoadedModel(_build_untrained(name, **config), False, None, "untrained_explicit",
                               display, None)

        def build():
            with torch.device("meta"):  # no initialisation: the weights are assigned
                return torchvision.models.get_model(name, weights=None, **config)

        def untrained():
            return _build_untrained(name, **config).eval()

        assign = True
    else:
        display = type(model).__name__
        wenum = None
        if checkpoint is None and weights is not None and not isinstance(weights, str):
            wenum = weights
        if checkpoint is None and wenum is None:
            return LoadedModel(model, None, None, "given", display, None)

        def build():
            return copy.deepcopy(model)

        def untrained():
            return model

        assign = False
    weights_name = wenum.name if wenum is not None else (
        os.path.basename(str(checkpoint)) if not isinstance(model, str) else None)
    got = _fetch(checkpoint, wenum, lang)
    if got.state is not None:
        try:
            net = build()
            net.load_state_dict(got.state, assign=assign)
            net.eval()
            return LoadedModel(net, True, got.path, "pretrained", display, weights_name)
        except Exception as exc:  # a checkpoint of another model
            got = _Weights(None, "untrained_unreadable", got.path,
                           tr("warn_unreadable", lang, path=got.path, error=_describe(exc)))
    assert got.problem is not None  # weights that are not there always say why
    warn(got.problem)
    return LoadedModel(untrained(), False, got.path, got.status, display, weights_name)


def shown_weights(loaded: LoadedModel) -> str:
    """What a slide's text can say the figure shows: "pretrained", "untrained" or "given"."""
    if loaded.status == "given":
        return "given"
    return "pretrained" if loaded.pretrained else "untrained"


def weights_data(model: Any, fc: FirstConv, label: str) -> dict[str, Any]:
    """What a weighted figure records in ``data`` about the weights it shows."""
    return {
        "model": model if isinstance(model, str) else type(model).__name__,
        "layer": fc.layer,
        "pretrained": fc.pretrained,
        "status": fc.loaded.status,
        "weights": shown_weights(fc.loaded),  # what a slide can say it shows
        "provenance": label,
        "checkpoint": fc.checkpoint,
    }


#: statuses of a figure that shows untrained weights in place of pretrained ones
FALLBACK_STATUSES = ("untrained_not_downloaded", "untrained_missing", "untrained_unreadable")


def shows_fallback(alt: str) -> bool:
    """Does a figure with this alt text show untrained weights in place of pretrained ones? (Its
    alt text carries its provenance label, in the deck's language.)"""
    from .labels import LABELS

    return any(text in alt for status in FALLBACK_STATUSES for text in LABELS[status].values())


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
