"""The per-cell cache: results keyed by everything they depend on, so a cached value is never stale.

A cell's key chains the key of the cell before it, so it covers its own code and options and the
code of every cell before it, and the content of the project's own modules the cells imported; the
deck-wide part covers the deck's language, the files the source included, and the versions of
Python, torch, torchvision and matplotlib and the code of deck and figures. Inline expressions are
keyed on the chain at their place plus their own text; they do not enter the chain (they must not
change state), so editing one re-evaluates it alone.

To re-run a changed cell without re-running those before it, the namespace and the process state
are snapshotted after costly cells (snapshot.py: one pickle, so that shared objects stay shared;
content-addressed blobs). What cannot be captured makes the snapshot incomplete; execution then
resumes from an earlier complete snapshot.

Entries are JSON or pickle files written atomically (temporary name, then rename); an entry that
cannot be read, or whose recorded key differs from its name, is ignored and recomputed.
"""
from __future__ import annotations

import functools
import hashlib
import json
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..document import Cell, InlineExpr, Output, Replacement
from ..errors import KINDS, ClaimError, DeckError, Location
from ..shared.files import write_atomic

FORMAT = 4
MAX_SNAPSHOT = 512 * 1024 * 1024  # a namespace bigger than this pickled is not snapshotted
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
    # (offline or not is not part of it: a figure shows what the weights file's presence, a cell's
    # input, says, whatever the reason it is absent)
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

    def __init__(self, root: Path, read: bool = True):
        self.root = root
        self.read = read  # False (`--no-cache`): every item runs, and its fresh result is stored

    # --- results --------------------------------------------------------------------------
    def _path(self, kind: str, key: str, suffix: str = ".json") -> Path:
        return self.root / kind / key[:2] / f"{key}{suffix}"

    def load(self, key: str) -> dict | None:
        if not self.read:
            return None
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
    def snapshot(self, key: str, ns: dict, process) -> bool:
        """Store the namespace and process state after a cell; False if they cannot be captured."""
        from .snapshot import Uncapturable, dumps

        try:
            blob = dumps(ns, process, MAX_SNAPSHOT)
        except Uncapturable as why:
            self._write(self._path("ns", key), json.dumps({"key": key, "format": FORMAT, "complete": False,
                                                           "why": str(why)}).encode("utf-8"))
            return False
        digest = sha(blob)
        path = self._path("blobs", digest, ".pkl")
        if not path.exists():
            self._write(path, blob)
        self._write(self._path("ns", key), json.dumps({"key": key, "format": FORMAT, "blob": digest,
                                                       "complete": True}).encode("utf-8"))
        return True

    def restore(self, key: str):
        """(process state, variables' pickle) stored after the cell with this key, or None."""
        from .snapshot import loads

        if not self.read:
            return None
        try:
            data = json.loads(self._path("ns", key).read_text(encoding="utf-8"))
            if data.get("key") != key or data.get("format") != FORMAT or not data.get("complete"):
                return None
            blob = self._path("blobs", data["blob"], ".pkl").read_bytes()
            if sha(blob) != data["blob"]:
                return None
            return loads(blob)
        except Exception:  # noqa: BLE001 - a damaged snapshot is ignored; execution starts earlier
            return None


# --- (de)serialising what an item produced ----------------------------------------------------
@dataclass(frozen=True)
class Anchor:
    """Locations stored with a cached result are kept relative to its item (and to the project): an
    entry made for another deck with the same cell, in another checkout sharing the cache, or before a
    prose edit moved the item, is read back at the item being built now, never at the old place."""

    item: Location
    root: Path | None = None

    def save(self, loc: Location | None) -> dict | None:
        if loc is None:
            return None
        if loc.path == self.item.path:
            return {"dl": loc.line - self.item.line}
        path = loc.path.resolve()
        if self.root is not None and path.is_relative_to(self.root):
            return {"file": path.relative_to(self.root).as_posix(), "line": loc.line}
        return {"file": str(path), "line": loc.line}

    def load(self, data: dict | None) -> Location | None:
        if data is None:
            return None
        if "dl" in data:
            return Location(self.item.path, self.item.line + data["dl"], self.item.slide)
        path = Path(data["file"])
        if not path.is_absolute() and self.root is not None:
            path = self.root / path
        return Location(path, data["line"], self.item.slide)


def problem_to_json(p: DeckError, anchor: Anchor) -> dict:
    return {"kind": p.kind, "message": p.message, "location": anchor.save(p.location), "detail": p.detail,
            "written": getattr(p, "written", None), "true": getattr(p, "true", None)}


def problem_from_json(d: dict, anchor: Anchor) -> DeckError:
    cls = KINDS.get(d["kind"], DeckError)
    args = [d["message"], anchor.load(d["location"]), d["detail"]]
    if issubclass(cls, ClaimError):
        args += [d["written"], d["true"]]
    return cls(*args)


def cell_result(cell: Cell, anchor: Anchor) -> dict:
    return {"display": cell.display, "replacements": [asdict(r) for r in cell.replacements],
            "outputs": [asdict(o) for o in cell.outputs],
            "warnings": [[anchor.save(loc), message] for loc, message in cell.warnings]}


def apply_cell_result(cell: Cell, data: dict, anchor: Anchor) -> None:
    """Put a cached result back into the cell. An entry is data, never trusted: only the fields deck
    knows are read (one with more is not a crash), and outputs are cleaned again when rendered."""
    cell.display = str(data["display"])
    cell.replacements = [_known(Replacement, r) for r in data["replacements"]]
    cell.outputs = [_known(Output, o) for o in data["outputs"]]
    cell.warnings = [(anchor.load(loc), str(message)) for loc, message in data["warnings"]]


def _known(cls, values: dict):
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})
