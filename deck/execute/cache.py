"""The per-cell cache: results keyed by everything they depend on, so a cached value is never stale.

A cell's key chains the key of the cell before it, so it covers its own code and options and the
code of every cell before it; the deck-wide part covers the deck's language, the files the source
included, and the versions of Python, torch, torchvision and matplotlib and the code of deck and
figures. Inline expressions are keyed on the chain at their place plus their own text; they do not
enter the chain (they must not change state), so editing one re-evaluates it alone.

To re-run a changed cell without re-running those before it, the namespace is snapshotted after
each cell: each variable pickled on its own (cloudpickle, content-addressed blobs, shared across
cells and builds), with the random generators' states. A variable that cannot be pickled, or is too
big, makes the snapshot incomplete; execution then resumes from an earlier complete snapshot.

Entries are JSON or pickle files written atomically (temporary name, then rename); an entry that
cannot be read, or whose recorded key differs from its name, is ignored and recomputed.
"""
from __future__ import annotations

import functools
import hashlib
import json
import sys
import types
from dataclasses import asdict
from pathlib import Path

from ..document import Cell, InlineExpr, Output, Replacement
from ..errors import KINDS, ClaimError, DeckError, Location
from ..shared.files import write_atomic

FORMAT = 3
MAX_BLOB = 64 * 1024 * 1024  # a variable bigger than this pickled is not snapshotted
PACKAGE = Path(__file__).resolve().parents[1]  # deck/


def sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def environment_key() -> str:
    """Versions and code that every result depends on (read without importing torch)."""
    from importlib.metadata import PackageNotFoundError, version

    parts = [sys.version]
    for dist in ("torch", "torchvision", "matplotlib", "babel", "pygments"):
        try:
            parts.append(f"{dist}={version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist}=none")
    # every module of deck (all its sub-packages) and of figures/: a change there may change a result
    for folder in (PACKAGE, PACKAGE.parent / "figures"):
        for path in sorted(folder.rglob("*.py")):
            parts.append(path.relative_to(folder).as_posix())
            parts.append(path.read_bytes())
    return sha(*parts)


def deck_key(lang: str, files: list[Path], main: Path, front_matter: dict) -> str:
    """The deck-wide part of every key: language, front matter, included files, environment."""
    parts = [environment_key(), lang, json.dumps(front_matter, sort_keys=True, default=str)]
    for f in files:
        if f != main:
            try:
                parts.append(f.read_bytes())
            except OSError:
                parts.append(b"unreadable")
    return sha(*parts)


def cell_fingerprint(cell: Cell) -> str:
    return sha(cell.code, json.dumps(cell.options.as_dict(), sort_keys=True), str(cell.step), str(cell.live))


def expr_fingerprint(expr: InlineExpr) -> str:
    return sha(expr.expr, expr.claim or "")


class Cache:
    """Disk cache of item results and namespace snapshots."""

    def __init__(self, root: Path):
        self.root = root

    # --- results --------------------------------------------------------------------------
    def _path(self, kind: str, key: str, suffix: str = ".json") -> Path:
        return self.root / kind / key[:2] / f"{key}{suffix}"

    def load(self, key: str) -> dict | None:
        try:
            data = json.loads(self._path("items", key).read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return None
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
            return None  # a corrupt or foreign entry
        return data

    def store(self, key: str, data: dict) -> None:
        self._write(self._path("items", key), json.dumps({**data, "format": FORMAT, "key": key},
                                                          ensure_ascii=False).encode("utf-8"))

    def _write(self, path: Path, data: bytes) -> None:
        write_atomic(path, data, best_effort=True)  # a cache that cannot be written only costs time

    # --- manifests (why did a cell re-run?) -------------------------------------------------
    def manifest(self, deck_name: str) -> list[dict]:
        try:
            data = json.loads((self.root / "decks" / f"{deck_name}.json").read_text(encoding="utf-8"))
            return data if isinstance(data, list) else []
        except (OSError, ValueError):
            return []

    def save_manifest(self, deck_name: str, entries: list[dict]) -> None:
        self._write(self.root / "decks" / f"{deck_name}.json", json.dumps(entries).encode("utf-8"))

    # --- namespace snapshots ----------------------------------------------------------------
    def snapshot(self, key: str, ns: dict) -> bool:
        """Store the namespace after a cell; return whether every variable could be kept."""
        import cloudpickle

        entries, complete = {}, True
        for name, value in ns.items():
            if name.startswith("__") and name.endswith("__"):
                continue
            if isinstance(value, types.ModuleType):
                entries[name] = {"module": value.__name__}
                continue
            try:
                blob = cloudpickle.dumps(value)
            except Exception:  # noqa: BLE001 - anything unpicklable just makes the snapshot partial
                complete = False
                continue
            if len(blob) > MAX_BLOB:
                complete = False
                continue
            digest = sha(blob)
            path = self._path("blobs", digest, ".pkl")
            if not path.exists():
                self._write(path, blob)
            entries[name] = {"blob": digest}
        rng = _rng_state()
        self._write(self._path("ns", key), json.dumps({"key": key, "format": FORMAT, "vars": entries,
                                                        "rng": rng, "complete": complete}).encode("utf-8"))
        return complete

    def restore(self, key: str, ns: dict) -> bool:
        """Fill `ns` from the snapshot stored after the cell with this key; False if impossible."""
        import importlib
        import pickle

        try:
            data = json.loads(self._path("ns", key).read_text(encoding="utf-8"))
            if data.get("key") != key or data.get("format") != FORMAT or not data.get("complete"):
                return False
            values = {}
            for name, entry in data["vars"].items():
                if "module" in entry:
                    values[name] = importlib.import_module(entry["module"])
                else:
                    blob = self._path("blobs", entry["blob"], ".pkl").read_bytes()
                    if sha(blob) != entry["blob"]:
                        return False
                    values[name] = pickle.loads(blob)
            _set_rng_state(data["rng"])
        except Exception:  # noqa: BLE001 - a damaged snapshot is ignored; execution starts earlier
            return False
        ns.update(values)
        return True


def _rng_state() -> dict:
    import base64
    import pickle
    import random

    state = {"random": base64.b64encode(pickle.dumps(random.getstate())).decode("ascii")}
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        state["torch"] = base64.b64encode(pickle.dumps(torch.get_rng_state())).decode("ascii")
    if "numpy" in sys.modules:
        state["numpy"] = base64.b64encode(pickle.dumps(sys.modules["numpy"].random.get_state())).decode("ascii")
    return state


def _set_rng_state(state: dict) -> None:
    import base64
    import pickle
    import random

    random.setstate(pickle.loads(base64.b64decode(state["random"])))
    if "torch" in state:
        import torch

        torch.set_rng_state(pickle.loads(base64.b64decode(state["torch"])))
    if "numpy" in state:
        import numpy

        numpy.random.set_state(pickle.loads(base64.b64decode(state["numpy"])))


# --- (de)serialising what an item produced ----------------------------------------------------
def location_to_json(loc: Location | None) -> list | None:
    return [str(loc.path), loc.line, loc.slide] if loc else None


def location_from_json(data) -> Location | None:
    return Location(Path(data[0]), data[1], data[2]) if data else None


class Relocation:
    """Moves a location saved with a cached result by the distance its item moved since."""

    def __init__(self, saved: Location | None, current: Location):
        self.saved, self.current = saved, current

    def __call__(self, loc: Location | None) -> Location | None:
        if loc is None or self.saved is None:
            return loc
        line = loc.line + (self.current.line - self.saved.line) if loc.path == self.saved.path else loc.line
        return Location(loc.path, line, self.current.slide)


def problem_to_json(p: DeckError) -> dict:
    return {"kind": p.kind, "message": p.message, "location": location_to_json(p.location), "detail": p.detail,
            "written": getattr(p, "written", None), "true": getattr(p, "true", None)}


def problem_from_json(d: dict, move=lambda loc: loc) -> DeckError:
    cls = KINDS.get(d["kind"], DeckError)
    args = [d["message"], move(location_from_json(d["location"])), d["detail"]]
    if issubclass(cls, ClaimError):
        args += [d["written"], d["true"]]
    return cls(*args)


def cell_result(cell: Cell) -> dict:
    return {"display": cell.display, "replacements": [asdict(r) for r in cell.replacements],
            "outputs": [asdict(o) for o in cell.outputs],
            "warnings": [[location_to_json(loc), message] for loc, message in cell.warnings]}


def apply_cell_result(cell: Cell, data: dict, move=lambda loc: loc) -> None:
    cell.display = data["display"]
    cell.replacements = [Replacement(**r) for r in data["replacements"]]
    cell.outputs = [Output(**o) for o in data["outputs"]]
    cell.warnings = [(move(location_from_json(loc)), message) for loc, message in data["warnings"]]
