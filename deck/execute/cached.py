"""The cache as a layer around the executor: which items to run, and which results to reuse.

Each item's key chains everything its result depends on (see cache.py), the content of the project's
own modules that earlier cells imported included. An item whose key is in the cache is not run: its
result is put back, and locations saved with it are moved to where the item stands now. When an
item must run, the namespace and the process are first made the ones a fresh run would have at that
point: restored from the nearest snapshot, then the cheap cells since re-run.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Callable

from ..document import Cell
from ..errors import ClaimError
from . import cache as store
from .runner import Executor


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
                if entry is not None and self._modules_unchanged(entry):
                    if self._inputs_unchanged(entry):
                        self.reuse(item, entry)
                        self._advance(position, entry.get("modules", {}), entry.get("inputs") or {})
                        executor.finished(item)
                        continue
                    self.inputs_changed.add(position)
                self.prepare_namespace(position)
                mark = (len(problems.items), len(problems.claims))
                started = time.perf_counter()
                if executor.run_item(slide, item):
                    modules = self._digests(executor.imported) if isinstance(item, Cell) else {}
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
        root = self.executor.project_root
        return {path.relative_to(root).as_posix(): _file_digest(path) for path in imported.values()}

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

    def _modules_unchanged(self, entry: dict) -> bool:
        root = self.executor.project_root
        modules = entry.get("modules") or {}
        return root is None or all(_file_digest(root / rel) == digest for rel, digest in modules.items())

    # --- results -------------------------------------------------------------------------------
    def reuse(self, item, data: dict) -> None:
        problems = self.executor.problems
        anchor = self._anchor(item)
        if isinstance(item, Cell):
            store.apply_cell_result(item, data["result"], anchor)
            self.log(f"{item.location}: cell {item.index + 1} cached")
        else:
            item.text = data["result"]["text"]
        for p in data["problems"]:
            problems.add(store.problem_from_json(p, anchor))
        problems.claims.extend((anchor.load(loc), w) for loc, w in data["claims"])

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
                self.log(f"{self.items[k].location}: snapshot after cell {self.items[k].index + 1} "
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
        self.cache.store(self.keys[position], {
            "result": result, "modules": modules, "inputs": inputs,
            "problems": [store.problem_to_json(p, anchor) for p in new_problems],
            "claims": [[anchor.save(loc), w] for loc, w in problems.claims[mark[1]:]]})

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
