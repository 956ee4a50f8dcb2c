"""Disk cache of rendered figures.

``cached(builder, *args, **kwargs)`` returns the :class:`SVGFigure` stored at
``$DECK_CACHE_DIR/figures/<key>.json`` (default ``.deck_cache/figures`` in the
project being built), building and storing it on a miss. The key is a
SHA-256 of everything the picture depends on:

* the builder (module and qualified name) and the source code of its module
  and of the package's shared look (:data:`SHARED_MODULES`; for builders of this
  package: every module of the package, since they share helpers);
* the arguments (``repr``; ``nn.Module`` and tensors by their values);
* torch / torchvision / matplotlib (and numpy, Pillow, Babel) versions;
* the deck's language (builders default to it);
* the checkpoint files the builder reads, if it declares them with a
  ``builder.cache_inputs(*args, **kwargs) -> list[path]`` attribute: path,
  size and modification time, or their absence.

Entries are JSON ``{svg, alt, data, warnings}`` in the "figures" namespace of deck's
cache store (``deck.shared.store``: signed, so that a shared cache folder cannot plant a
figure; its SVG is cleaned again where it enters a slide), under the key
as it is once the figure is built (a checkpoint it downloaded is part of it); a
figure whose ``data["cacheable"]`` is False is not stored (a figure showing untrained weights
because its checkpoint is absent is stored, under the key of that absence). An
unreadable entry is ignored and rebuilt. Warnings emitted while building are
stored and emitted again on every cache hit.
"""

from __future__ import annotations

import builtins
import hashlib
import inspect
import json
import os
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import deck.shared
from deck.shared.files import cache_root
from deck.shared.inputs import note_input
from deck.shared.locale import current_lang
from deck.shared.store import Store
from deck.shared.svg import figure_room

from .output import SVGFigure
from .weights import retry_missing

CACHE_FORMAT = 1
_PACKAGE_DIR = Path(__file__).resolve().parent
_SHARED_DIR = Path(deck.shared.__file__).resolve().parent
#: what a builder from outside the package shares with ours: look, words, numbers, output
SHARED_MODULES = ("palette.py", "labels.py", "number_format.py", "output.py")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class _Uncacheable(Exception):
    pass


def cache_dir() -> Path:
    """``figures/`` in deck's cache folder: ``$DECK_CACHE_DIR``, else the project's ``.deck_cache``."""
    return cache_root() / "figures"


def _store() -> Store:
    """The "figures" namespace of deck's cache store (signed entries: deck.shared.store)."""
    return Store(cache_root())


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("torch", "torchvision", "matplotlib", "numpy", "pillow", "babel"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "-"
    return out


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def _sources(builder: Callable) -> dict[str, str]:
    """sha256 of the source code the figure depends on."""
    files: list[Path] = []
    module = inspect.getmodule(builder)
    module_file = getattr(module, "__file__", None)
    if module_file and Path(module_file).resolve().parent == _PACKAGE_DIR:
        files = sorted(_PACKAGE_DIR.glob("*.py"))
    else:
        files = [_PACKAGE_DIR / name for name in SHARED_MODULES]
        if module_file:
            files.append(Path(module_file))
    # deck's shared modules draw and word every figure too (SVG writer, numbers in the deck's language)
    files += sorted(_SHARED_DIR.glob("*.py"))
    out = {f"{f.parent.name}/{f.name}": hashlib.sha256(_read(f).encode()).hexdigest() for f in files}
    if not module_file:  # e.g. defined in a notebook cell: hash its own source
        try:
            src = inspect.getsource(builder)
        except (OSError, TypeError):
            raise _Uncacheable(f"no source for {builder!r}") from None
        out["<builder>"] = hashlib.sha256(src.encode()).hexdigest()
    return out


def _fingerprint(obj: Any) -> Any:
    """JSON-able description of an argument, by value."""
    torch = sys.modules.get("torch")
    if torch is not None:
        if isinstance(obj, torch.nn.Module):
            h = hashlib.sha256(repr(obj).encode())
            for name, t in obj.state_dict().items():
                h.update(name.encode())
                h.update(str(tuple(t.shape)).encode() + str(t.dtype).encode())
                if t.device.type != "meta":
                    h.update(t.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
            for name, p in obj.named_parameters():
                h.update(f"{name}:{p.requires_grad}".encode())
            return {"module": type(obj).__qualname__, "sha256": h.hexdigest()}
        if isinstance(obj, torch.Tensor):
            t = obj.detach().cpu().contiguous()
            h = hashlib.sha256(str((tuple(t.shape), t.dtype)).encode())
            h.update(t.view(-1).view(torch.uint8).numpy().tobytes())
            return {"tensor": h.hexdigest()}
    if isinstance(obj, (list, tuple)):
        return [type(obj).__name__, [_fingerprint(o) for o in obj]]
    if isinstance(obj, dict):
        return ["dict", [[repr(k), _fingerprint(v)] for k, v in obj.items()]]
    text = repr(obj)
    if _ADDRESS.search(text):  # identity-based repr: cannot be a stable key
        raise _Uncacheable(text)
    return text


def _checkpoints(builder: Callable, args: tuple, kwargs: dict) -> list:
    declare = getattr(builder, "cache_inputs", None)
    if declare is None:
        return []
    out = []
    for path in declare(*args, **kwargs):
        path = os.path.abspath(os.fspath(path))
        note_input(path)  # the cell's result too depends on it, figure from this cache or not
        try:
            st = os.stat(path)
            out.append([path, st.st_size, st.st_mtime_ns])
        except OSError:
            out.append([path, None, None])
    return out


def cache_key(builder: Callable, *args: Any, **kwargs: Any) -> str:
    """SHA-256 key of ``builder(*args, **kwargs)``; raises if not cacheable."""
    name = f"{getattr(builder, '__module__', '?')}:{getattr(builder, '__qualname__', repr(builder))}"
    if _ADDRESS.search(name):
        raise _Uncacheable(name)
    material = {
        "format": CACHE_FORMAT,
        "builder": name,
        "sources": _sources(builder),
        "args": _fingerprint(tuple(args)),
        "kwargs": _fingerprint(dict(sorted(kwargs.items()))),
        "versions": _versions(),
        "checkpoints": _checkpoints(builder, args, kwargs),
        # a builder called without lang= draws in the deck's language: a French and an English
        # deck must not share the entry
        "lang": current_lang.get(),
        "room": figure_room.get(),  # builders size their text for the room their slide leaves
    }
    blob = json.dumps(material, sort_keys=True, ensure_ascii=True, default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()


def _category(name: str) -> type[Warning]:
    cat = getattr(builtins, name, None)
    if isinstance(cat, type) and issubclass(cat, Warning):
        return cat
    return UserWarning


def _load(key: str) -> dict | None:
    """A valid entry, or None (missing, truncated, corrupt, unsigned, wrong shape)."""
    entry = _store().get_json("figures", f"{key}.json")
    if not (
        isinstance(entry, dict)
        and entry.get("format") == CACHE_FORMAT
        and isinstance(entry.get("svg"), str)
        and entry["svg"].lstrip().startswith("<svg")
        and isinstance(entry.get("alt"), str)
        and isinstance(entry.get("data"), dict)
        and isinstance(entry.get("warnings"), list)
        and all(isinstance(w, dict) and isinstance(w.get("message"), str)
                for w in entry["warnings"])
    ):
        return None
    return entry


def _emit(records: list[dict]) -> None:
    for w in records:
        warnings.warn(w["message"], _category(w.get("category", "UserWarning")), stacklevel=3)


def cached(builder: Callable[..., SVGFigure], *args: Any, **kwargs: Any) -> SVGFigure:
    """``builder(*args, **kwargs)``, from the disk cache when possible.

    The returned figure's ``data`` has gone through JSON (tuples become lists)
    whether it was a hit or a miss, so both look the same.
    """
    try:
        # a stored figure drawn without its (absent) weights file is reused only when no download
        # of it is due (figures.weights: not offline, at most once an hour)
        retry_missing([p for p, size, _ in _checkpoints(builder, args, kwargs) if size is None])
        key = cache_key(builder, *args, **kwargs)
    except _Uncacheable:
        return builder(*args, **kwargs)
    entry = _load(key)
    if entry is not None:
        _emit(entry["warnings"])
        return SVGFigure(svg=entry["svg"], alt=entry["alt"], data=entry["data"])

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = builder(*args, **kwargs)
    records = [{"message": str(w.message), "category": w.category.__name__} for w in caught]
    if not isinstance(fig, SVGFigure):
        _emit(records)
        raise TypeError(f"{builder!r} returned {type(fig).__name__}, not SVGFigure")
    entry = {
        "format": CACHE_FORMAT,
        "builder": f"{getattr(builder, '__module__', '?')}:{getattr(builder, '__qualname__', '?')}",
        "svg": fig.svg,
        "alt": fig.alt,
        "data": fig.data,
        "warnings": records,
    }
    try:
        text = json.dumps(entry, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        _emit(records)
        raise TypeError(f"figure data of {builder!r} is not JSON-serialisable: {exc}") from None
    if fig.data.get("cacheable") is not False:
        # the key once built: a checkpoint the builder downloaded is there now, and the next build
        # (which finds it) must hit this entry
        _store().put("figures", f"{cache_key(builder, *args, **kwargs)}.json", text.encode("utf-8"))
    _emit(records)
    stored = json.loads(text)
    return SVGFigure(svg=stored["svg"], alt=stored["alt"], data=stored["data"])
