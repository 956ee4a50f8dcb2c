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

Entries are namespaces of the one cache store (shared/store.py): signed, written atomically; an
entry that cannot be read, is not signed with this cache's key, or whose recorded key differs from
its name, is ignored and recomputed.
"""
from __future__ import annotations

import functools
import json
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import cast

from ..document import Cell, InlineExpr, Output, Replacement
from ..errors import KINDS, ClaimError, DeckError, Location
from ..shared.store import Store, key

FORMAT = 5  # 5: claims kept as the values they were checked against, never as verdicts
MAX_SNAPSHOT = 512 * 1024 * 1024  # a namespace bigger than this pickled is not snapshotted
PACKAGE = Path(__file__).resolve().parents[1]  # deck/


sha = key  # the store's one key scheme


@functools.lru_cache(maxsize=1)
def environment_key() -> str:
    """Versions and code that every result depends on (read without importing torch)."""
    from importlib.metadata import PackageNotFoundError, version

    parts: list[str | bytes] = [sys.version]
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
    parts: list[str | bytes] = [environment_key(), lang, json.dumps(front_matter, sort_keys=True, default=str)]
    for f in files:
        if f != main:
            try:
                parts.append(f.read_bytes())
            except OSError:
                parts.append(b"unreadable")
    return sha(*parts)


def cell_fingerprint(cell: Cell) -> str:
    # the room its slide leaves its figure: what figure builders size their text for
    return sha(cell.code, json.dumps(cell.options.as_dict(), sort_keys=True), str(cell.step), str(cell.live),
               str(cell.room))


def expr_fingerprint(expr: InlineExpr) -> str:
    return sha(expr.expr, expr.claim or "")


class Cache:
    """Item results and namespace snapshots: the "items", "ns", "blobs" and "decks" namespaces of the
    cache store (shared/store.py: signed entries; an unsigned one is a miss, and a snapshot's pickle
    is unpickled only once its signature holds)."""

    def __init__(self, root: Path, read: bool = True):
        self.root = root
        self.store = Store(root)
        self.read = read  # False (`--no-cache`): every item runs, and its fresh result is stored

    # --- results --------------------------------------------------------------------------
    def load(self, key: str) -> dict | None:
        if not self.read:
            return None
        data = self.store.get_json("items", f"{key}.json")
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
            return None  # a corrupt or foreign entry
        return data

    def store_result(self, key: str, data: dict) -> None:
        self.store.put_json("items", f"{key}.json", {**data, "format": FORMAT, "key": key})

    # --- manifests (why did a cell re-run?) -------------------------------------------------
    def manifest(self, deck_name: str) -> list[dict]:
        data = self.store.get_json("decks", f"{deck_name}.json")
        return data if isinstance(data, list) and all(isinstance(e, dict) for e in data) else []

    def save_manifest(self, deck_name: str, entries: list[dict]) -> None:
        self.store.put_json("decks", f"{deck_name}.json", entries)

    # --- namespace snapshots ----------------------------------------------------------------
    def snapshot(self, key: str, ns: dict, process) -> bool:
        """Store the namespace and process state after a cell; False if they cannot be captured."""
        from .snapshot import Uncapturable, dumps

        try:
            blob = dumps(ns, process, MAX_SNAPSHOT)
        except Uncapturable as why:
            self.store.put_json("ns", f"{key}.json", {"key": key, "format": FORMAT, "complete": False,
                                                      "why": str(why)})
            return False
        digest = sha(blob)
        if not self.store.path("blobs", f"{digest}.pkl").exists():
            self.store.put("blobs", f"{digest}.pkl", blob)
        self.store.put_json("ns", f"{key}.json", {"key": key, "format": FORMAT, "blob": digest, "complete": True})
        return True

    def restore(self, key: str):
        """(process state, variables' pickle) stored after the cell with this key, or None. Both the
        entry and its blob are signed entries: a pickle no holder of the key wrote is never loaded."""
        from .snapshot import loads

        if not self.read:
            return None
        data = self.store.get_json("ns", f"{key}.json")
        if not isinstance(data, dict) or data.get("key") != key or data.get("format") != FORMAT \
                or data.get("complete") is not True or not isinstance(data.get("blob"), str):
            return None
        blob = self.store.get("blobs", f"{data['blob']}.pkl")
        if blob is None or sha(blob) != data["blob"]:
            return None
        try:
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
            if type(data["dl"]) is not int:
                raise TypeError("a location of the wrong shape")
            return Location(self.item.path, self.item.line + data["dl"], self.item.slide)
        if type(data["line"]) is not int or not isinstance(data["file"], str):
            raise TypeError("a location of the wrong shape")
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
    if not isinstance(data["display"], str) or not all(isinstance(data[k], list) for k in
                                                        ("replacements", "outputs", "warnings")):
        raise TypeError("a cell result of the wrong shape")
    # everything read before anything is set: an entry that fails half-way leaves the cell untouched
    replacements = [_known(Replacement, r) for r in data["replacements"]]
    outputs = [_known(Output, o) for o in data["outputs"]]
    if not all(isinstance(o.kind, str) and isinstance(o.content, str) and isinstance(o.alt, str) for o in outputs) \
            or not all(all(type(getattr(r, k)) is int for k in ("line", "start", "end")) and isinstance(r.text, str)
                       for r in replacements):
        raise TypeError("an output or a replacement of the wrong shape")
    # a warning's location is never None (a cell's, or a line's in it), so it is saved and loaded as one
    warnings = [(cast(Location, anchor.load(loc)), str(message)) for loc, message in data["warnings"]]
    cell.display, cell.replacements, cell.outputs, cell.warnings = data["display"], replacements, outputs, warnings


def _known(cls, values: dict):
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})
