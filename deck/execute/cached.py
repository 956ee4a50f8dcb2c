"""The cache as a layer around the executor: which items to run, and which results to reuse.

Each item's key chains everything its result depends on (see cache.py), the content of the project's
own modules that earlier cells imported included. An item whose key is in the cache is not run: its
result is put back, and locations saved with it are moved to where the item stands now. When an
item must run, the namespace and the process are first made the ones a fresh run would have at that
point: restored from the nearest snapshot, then the cheap cells since re-run.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TypeGuard, cast

from ..claims.verify import Checked, Problems, verify, verify_expected_error
from ..document import Cell
from ..errors import CellError, ClaimError, Location
from . import cache as store
from .claim_values import Unrecordable, decode, encode, exception_from, exception_record
from .runner import Executor
from .snapshot import changed_names, in_project, namespace_state


class CachedExecution:
    """Runs a deck through `executor`, reusing results from `cache`; `log` hears why each cell ran."""

    # Snapshotting costs time too (pickling every variable): take one only when re-running the cells
    # since the last one would cost more than this; a restore then re-runs those few cheap cells.
    SNAPSHOT_AFTER_SECONDS = 0.25

    def __init__(self, executor: Executor, cache: store.Cache, log: Callable[[str], None] | None = None):
        self.executor, self.cache = executor, cache
        self.log = log or (lambda message: None)
        deck = executor.deck
        self.items = [item for _, item in executor.items()]
        self.base = store.deck_key(deck.lang, deck.files, deck.path, deck.front_matter)
        self.fps = [store.cell_fingerprint(i) if isinstance(i, Cell) else store.expr_fingerprint(i) for i in self.items]
        self.keys: list[str] = []   # filled as the run goes: a key depends on the modules cells imported
        self.chain = self.base      # the key of the state after the last cell reached
        self.previous = {e.get("fp"): e for e in cache.manifest(deck.name)}
        self.previous_base = next(iter(self.previous.values()), {}).get("base")
        self.ns_at = -1          # position of the last cell whose effects the namespace holds
        self.ns_fresh = True     # the namespace is the start state (no cell ran in it)
        self.unsaved_seconds = 0.0  # time spent running cells since the last snapshot
        self.after: dict[int, str] = {}  # position of a cell -> key of the state after it (snapshots)
        self.inputs_changed: set[int] = set()  # cells in the cache whose files changed since

    def run(self):
        executor = self.executor
        problems = executor.problems
        with executor.session():
            for position, (slide, item) in enumerate(executor.items()):
                key = store.sha(self.chain, self.fps[position])
                self.keys.append(key)
                entry = self.cache.load(key)
                problems.values = []  # what this item's claims are checked against (kept, not verdicts)
                if entry is not None and self._usable(entry):
                    if self._inputs_unchanged(entry):
                        if self.reuse(item, entry):
                            self._advance(position, entry["modules"], entry["inputs"])
                            executor.finished(item)
                            continue
                    else:
                        self.inputs_changed.add(position)
                self.prepare_namespace(position)
                mark = (len(problems.items), len(problems.claims))
                started = time.perf_counter()
                before = None if isinstance(item, Cell) else namespace_state(executor.namespace)
                with environment_read(executor.project_root) as read:
                    ran = executor.run_item(slide, item)
                if ran and before is not None:
                    ran = self._state_kept(item, before)
                if ran:
                    modules = self._digests(executor.imported) if isinstance(item, Cell) else {}
                    modules.update(_environ_digests(read) if isinstance(item, Cell) else {})
                    inputs = {str(p): _file_state(p) for p in executor.inputs.files} if isinstance(item, Cell) else {}
                    self._advance(position, modules, inputs)
                    if isinstance(item, Cell) and executor.inputs.volatile:
                        self.log(f"{item.location}: cell {item.index + 1} not cached: {executor.inputs.volatile[0]}")
                        continue
                    self.record(position, item, mark, modules, inputs, time.perf_counter() - started)
                else:
                    self._advance(position, {}, {})
                    self.broken(position)
            self.finish()
        return problems

    # --- keys ----------------------------------------------------------------------------------
    def _advance(self, position: int, modules: dict[str, str], inputs: dict[str, str]) -> None:
        """After a cell, the chain covers it, the content of the modules it imported and the state of
        the files it read: a later cell or expression may use what it drew from them (`noyaux.data`
        of a figure whose pretrained weights appeared), so it runs again when they change."""
        if isinstance(self.items[position], Cell):
            self.chain = store.sha(self.keys[position], *sorted(f"{p}\0{d}" for p, d in modules.items()),
                                   *sorted(f"input\0{p}\0{s}" for p, s in inputs.items()))
            self.after[position] = self.chain

    def _digests(self, imported: dict[str, Path]) -> dict[str, str]:
        root = cast(Path, self.executor.project_root)  # without a project root, nothing is `imported`
        return {path.relative_to(root).as_posix(): _file_digest(path) for path in imported.values()}

    def _state_kept(self, expr, before: dict) -> bool:
        """An inline expression must not change state: what later cells see would depend on whether it
        came from the cache (it is not re-run when it is). One that does is a located error."""
        changed = changed_names(before, namespace_state(self.executor.namespace))
        if not changed:
            return True
        self.executor.problems.add(CellError(
            f"inline expression `{expr.expr}` changes the namespace ({', '.join(changed[:5])}): an inline "
            "expression must only read; do this in a cell", expr.location))
        return False

    def _inputs_unchanged(self, entry: dict) -> bool:
        inputs = entry.get("inputs") or {}
        missing = [p for p, state in inputs.items() if state == "missing"]
        if missing:
            # a result drawn without a file it wanted (a figure's pretrained weights, not downloaded):
            # the download is tried when due (not offline, at most once an hour), and only a file
            # that came makes the cell run again
            from figures.weights import retry_missing

            retry_missing(missing)
        return all(_file_state(Path(p)) == state for p, state in inputs.items())

    def _usable(self, entry: dict) -> bool:
        """An entry of the right shape whose modules and environment variables are still those it was
        made with (its input files: `_inputs_unchanged`)."""
        modules, inputs = entry.get("modules"), entry.get("inputs")
        if not (_text_map(modules) and _text_map(inputs)):
            return False
        root = self.executor.project_root
        variables = {k: v for k, v in modules.items() if k.startswith(ENV)}
        return (_environ_digests({k[len(ENV):] for k in variables}) == variables
                and (root is None or all(_file_digest(root / rel) == digest for rel, digest in modules.items()
                                         if not rel.startswith(ENV))))

    # --- results -------------------------------------------------------------------------------
    def reuse(self, item, data: dict) -> bool:
        """Put a cached result back and verify its claims again from the values kept with it; False
        (nothing changed: the item runs) if the entry is not of the shape deck writes."""
        problems = self.executor.problems
        anchor = self._anchor(item)
        try:
            staged = Problems(collect_errors=True)
            recheck(data["verified"], anchor, staged)
            notes = [store.problem_from_json(p, anchor) for p in data["problems"]]
            # a claim's location is never None (`Problems.checked`), so it is saved and loaded as one
            claims = [Checked(cast(Location, anchor.load(loc)), str(w), str(kind)) for loc, w, kind in data["claims"]]
            if isinstance(item, Cell):
                store.apply_cell_result(item, data["result"], anchor)
            elif isinstance(data["result"].get("text"), str):
                item.text = data["result"]["text"]
            else:
                return False
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, ImportError) as exc:
            self.log(f"{item.location}: cache entry unusable ({type(exc).__name__}: {exc}); run again")
            return False
        if isinstance(item, Cell):
            self.log(f"{item.location}: cell {item.index + 1} cached")
        for p in [*staged.items, *notes]:
            problems.add(p)
        problems.claims.extend([*staged.claims, *claims])
        return True

    def _anchor(self, item) -> store.Anchor:
        return store.Anchor(item.location, self.executor.project_root)

    def _cells_before(self, position: int) -> list[int]:
        return [k for k in range(position) if isinstance(self.items[k], Cell)]

    def prepare_namespace(self, position: int) -> None:
        """Make the namespace and process the state after the last cell before `position` (snapshot, or
        re-running cells)."""
        before = self._cells_before(position)
        if not before or self.ns_at == before[-1]:
            return
        for k in reversed(before):
            if k <= self.ns_at:
                break
            snapshot = self.cache.restore(self.after[k])
            if snapshot is None:
                continue
            try:
                self.executor.restore(*snapshot)
            except Exception as exc:  # noqa: BLE001 - e.g. a module its objects need is gone
                failed = self.items[k]
                assert isinstance(failed, Cell)  # `before` holds cells only
                self.log(f"{failed.location}: snapshot after cell {failed.index + 1} "
                         f"unusable ({type(exc).__name__}: {exc}); earlier cells re-run")
                self.executor.reset_process()
                self.ns_at, self.ns_fresh = -1, True
                continue
            self.ns_at, self.ns_fresh = k, False
            break
        if self.ns_at < 0 and not self.ns_fresh:
            self.executor.reset_process()
            self.ns_fresh = True
        for k in before:
            if k > self.ns_at:  # no usable snapshot: re-run earlier cells to rebuild the state
                cell = self.items[k]
                assert isinstance(cell, Cell)  # `before` holds cells only
                self.log(f"{cell.location}: cell {cell.index + 1} re-run to rebuild the namespace")
                self.executor.rerun_quietly(cell)
                self.ns_at, self.ns_fresh = k, False

    def record(self, position: int, item, mark: tuple[int, int], modules: dict[str, str],
               inputs: dict[str, str], seconds: float = 0.0) -> None:
        problems = self.executor.problems
        new_problems = problems.items[mark[0]:]
        if any(not isinstance(p, ClaimError) for p in new_problems):
            return  # a failing item is never cached
        if isinstance(item, Cell):
            self.log(f"{item.location}: cell {item.index + 1} ran: {self._reason(position)}")
            result = store.cell_result(item, self._anchor(item))
            self.ns_at, self.ns_fresh = position, False
            self.unsaved_seconds += seconds
            if self.unsaved_seconds >= self.SNAPSHOT_AFTER_SECONDS:
                if self.cache.snapshot(self.after[position], self.executor.namespace,
                                       self.executor.capture_process()):
                    self.unsaved_seconds = 0.0
        else:
            result = {"text": item.text}
        anchor = self._anchor(item)
        kept = keep_claims(problems.values or [], new_problems, problems.claims[mark[1]:], anchor)
        if kept is None:
            self.log(f"{item.location}: not cached: a value its claims are checked against cannot be kept")
            return
        self.cache.store_result(self.keys[position], {"result": result, "modules": modules, "inputs": inputs, **kept})

    def _reason(self, position: int) -> str:
        if not self.previous:
            return "not in the cache"
        if self.previous_base != self.base:
            return "versions, included files or front matter changed"
        if position in self.inputs_changed:
            return "a file it reads changed (e.g. pretrained weights downloaded)"
        if self.fps[position] not in self.previous:
            return "its code or options changed (or it is new)"
        entry = self.previous.get(self.fps[position], {})
        if entry.get("key") == self.keys[position]:
            return "a module it imports changed"
        return "an earlier cell changed"

    def broken(self, position: int) -> None:
        """A failed item: never cached; a failed cell's partial effects stay in the namespace."""
        if isinstance(self.items[position], Cell):
            self.ns_at, self.ns_fresh = position, False

    def finish(self) -> None:
        self.cache.save_manifest(self.executor.deck.name, [
            {"fp": fp, "key": key, "base": self.base} for fp, key in zip(self.fps, self.keys)])


# Environment variables a cell reads are part of its key, as the modules it imports are: kept with the
# modules under this prefix (their values' digests, never the values: a cell may read a token).
ENV = "$env:"


_LIBRARY_FILES = (os.__file__, __file__)  # os.getenv, Mapping.get: frozen, or these files


def _by_the_deck() -> bool:
    """Is the code reading os.environ a cell's, or a project module's (not a library's: torch reads
    dozens of variables when imported, none a slide depends on)?"""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and (frame.f_code.co_filename in _LIBRARY_FILES
                                 or frame.f_code.co_filename.startswith("<frozen ")):
        frame = frame.f_back
    if frame is None:
        return False
    name = frame.f_code.co_filename
    root = _TrackedEnviron.root
    return name.startswith("<deck cell") or (root is not None and in_project(name, root, ()))


class _TrackedEnviron(os._Environ):
    """os.environ, noting the names a cell reads while it runs (iterating reads them all)."""

    reads: set[str] | None = None
    root: str | None = None  # the project's folder (its own modules are the deck's code)

    def __getitem__(self, key):
        if _TrackedEnviron.reads is not None and _by_the_deck():
            _TrackedEnviron.reads.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        if _TrackedEnviron.reads is not None and _by_the_deck():
            _TrackedEnviron.reads.add(key)
        return super().__contains__(key)

    def __iter__(self):
        if _TrackedEnviron.reads is not None and _by_the_deck():
            _TrackedEnviron.reads.update(super().__iter__())
        return super().__iter__()


@contextlib.contextmanager
def environment_read(root: Path | None = None):
    """The names of the environment variables the deck's code reads inside the block (through os.environ)."""
    read: set[str] = set()
    _TrackedEnviron.root = str(root) + os.sep if root is not None else None
    environ = os.environ
    plain: type = type(environ)
    swapped = plain is os._Environ
    if swapped:
        environ.__class__ = _TrackedEnviron
    _TrackedEnviron.reads = read
    try:
        yield read
    finally:
        _TrackedEnviron.reads = None
        if swapped and type(os.environ) is _TrackedEnviron:
            os.environ.__class__ = plain


def _environ_digests(names) -> dict[str, str]:
    return {f"{ENV}{name}": store.sha(os.environ[name]) if name in os.environ.keys() else "unset"
            for name in sorted(names) if isinstance(name, str)}


def keep_claims(values: list[tuple], new_problems: list, new_claims: list, anchor: store.Anchor) -> dict | None:
    """What an entry keeps of an item's claims: the values each was checked against ("verified", to
    verify again when reused), and the problems and claims that are not verdicts of those. None if a
    value cannot be kept, or if verifying the kept values does not give today's verdicts back."""
    verified = []
    try:
        for location, kind, *rest in values:
            if kind == "value":
                written, value, shown, lang, subject = rest
                record = {"kind": kind, "written": written, "value": encode(value), "shown": shown,
                          "lang": lang, "subject": subject}
            else:
                raises, raised = rest
                record = {"kind": kind, "raises": raises, "raised": exception_record(raised)}
            verified.append([anchor.save(location), record])
        again = Problems(collect_errors=True)
        recheck(verified, anchor, again)
    except (Unrecordable, KeyError, TypeError, ValueError, AttributeError, RuntimeError):
        return None
    notes = _without([_seen(p, anchor) for p in new_problems], [_seen(p, anchor) for p in again.items])
    others = _without([(anchor.load(anchor.save(loc)), w) for loc, w in new_claims], again.claims)
    if notes is None or others is None:
        return None
    return {"verified": verified, "problems": [store.problem_to_json(new_problems[i], anchor) for i in notes],
            "claims": [[anchor.save(new_claims[i][0]), new_claims[i][1], getattr(new_claims[i], "kind", "")]
                       for i in others]}


def recheck(verified: list, anchor: store.Anchor, problems: Problems) -> None:
    """Verify again each claim of an entry, against the value kept for it."""
    for location, record in verified:
        where = anchor.load(location)
        if where is None:
            raise ValueError("a claim without its location")
        if record["kind"] == "value":
            verify(str(record["written"]), decode(record["value"]), str(record["shown"]), str(record["lang"]),
                   where, problems, str(record["subject"]))
        elif record["kind"] == "raises":
            verify_expected_error(str(record["raises"]), exception_from(record["raised"]), where, problems)
        else:
            raise ValueError(f"unknown claim kind {record['kind']!r}")


def _seen(p, anchor: store.Anchor) -> tuple:
    return type(p).__name__, p.message, p.detail, anchor.load(anchor.save(p.location))


def _without(items: list, taken: list) -> list[int] | None:
    """Indexes of `items` left once each of `taken` is matched with one equal item (None: one is not there)."""
    left = list(range(len(items)))
    for t in taken:
        match = next((i for i in left if items[i] == t), None)
        if match is None:
            return None
        left.remove(match)
    return left


def _text_map(value) -> TypeGuard[dict[str, str]]:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _file_state(path: Path) -> str:
    """A file a cell read (a checkpoint of a few hundred MB): its size and time, or its absence."""
    try:
        st = path.stat()
    except OSError:
        return "missing"
    return f"{st.st_size}:{st.st_mtime_ns}"


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"
