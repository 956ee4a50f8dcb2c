"""`python build.py --watch`: build, serve build/ on 127.0.0.1, rebuild on change, reload the page in place.

Parts: the worker (`worker.py`), the server (`server.py`, with its page script `live.js`), which
decks a change affects (`changes.py`), and the watch loop here.

- the **worker**: a long-lived child process (multiprocessing, "spawn") that runs the pipeline. It keeps
  torch, matplotlib and WeasyPrint imported and deck's in-memory caches warm, so a rebuild after a
  prose edit costs only the build itself. A cell that kills its process (segfault, out of memory,
  `os._exit`) kills the worker only: the server reports it and starts a fresh worker.
- the **server**: a threaded HTTP server on 127.0.0.1 serving the output folder. Into every HTML page it
  serves (never into the file on disk, which stays self-contained) it injects a small script that
  listens to Server-Sent Events: a new build reloads the page, which keeps its `#/slide/step` fragment
  and so lands on the same slide and step; a failed build shows an overlay over the last good deck.
- the **watch loop** (main thread): `watchfiles` on the sources, the files the decks included, the
  project's `figures/` and deck's themes; it maps each change to the decks that need a rebuild.
"""
from __future__ import annotations

import contextlib
import os
import queue
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from ..shared.files import cache_root, display_path
from .changes import PACKAGE, is_under, plan_rebuild
from .server import DeckState, WatchState, make_server
from .worker import Worker, WorkerDied

ENGINE_DIRS = ("render/themes", "render/runtime", "render/templates")  # deck's own non-Python files a build reads
# --------------------------------------------------------------------------------- the watch loop

class Watcher:
    """Builds in the worker, keeps the shared state, prints to the terminal."""

    def __init__(self, options, port: int, host: str = "127.0.0.1"):
        from ..cli import progress

        self.options, self.port, self.host = options, port, host
        self.root = options.project_root.resolve()
        self.source_dir = options.source_dir.resolve()
        self.out_dir = options.output_dir.resolve()
        self.state = WatchState(self.out_dir)
        self.worker = Worker(preload_pdf=options.pdf, on_start=lambda pid: setattr(self.state, "worker_pid", pid))
        self.discover = not options.decks
        figures = self.root / "figures"
        self.figures_dir = figures if figures.is_dir() else None
        self.interactive = progress.interactive()
        self.changes: ChangeFeed | None = None  # listening from the start of run()
        self.given: dict[str, Path] = {}        # each deck's source as named (deck.source is resolved)

    # --- terminal ---------------------------------------------------------------------------
    def say(self, text: str, error: bool = False) -> None:
        stream = sys.stderr if error else sys.stdout
        if self.interactive:  # colours on a terminal only (never in a pipe, a log, or under NO_COLOR)
            from rich.console import Console
            from rich.text import Text

            style = "red" if text.startswith("error") else "yellow" if text.startswith("warning") else \
                "green" if text.startswith("built") else None
            Console(file=stream, highlight=False, soft_wrap=True).print(Text(text, style=style or ""))
            return
        print(text, file=stream, flush=True)

    # --- decks ------------------------------------------------------------------------------
    def add_deck(self, source: Path) -> DeckState:
        given, source = source.absolute(), source.resolve()
        deck = DeckState(given.stem, source, f"{given.stem}{self.options.suffix}.html", {source})
        self.given[deck.name] = given  # built as named: a link out of the project is refused, not followed
        with self.state.cond:
            self.state.decks[deck.name] = deck
        return deck

    def request(self, deck: DeckState, clear: bool) -> dict:
        o = self.options
        keys = ("project_root", "sources", "html", "pdf", "handout", "student", "cache", "verbose", "settings")
        return {"path": str(self.given.get(deck.name, deck.source)), "clear_caches": clear,
                "options": {k: getattr(o, k) for k in keys} | {"decks": [str(deck.source)], "check": False,
                                                               "out_dir": self.out_dir}}

    def build(self, names, clear: bool = False, why: str = "") -> None:
        for name in sorted(names):
            deck = self.state.decks.get(name)
            if deck is not None:
                self.build_one(deck, clear, why)
                clear = False

    def build_one(self, deck: DeckState, clear: bool, why: str) -> None:
        from ..cli import progress

        self.state.update(deck.name, building=True)
        if not self.interactive:
            self.say(f"building {deck.name}{why} ...")
        start = time.perf_counter()
        display = progress.TerminalProgress(sys.stderr) if self.interactive else None

        def on_progress(event: str, **info) -> None:
            if display is not None and event != "done":  # the "built ..." line below says it
                display.on_progress(event, **info)

        began = time.time()
        try:
            with display or contextlib.nullcontext():
                result = self.worker.build(deck.name, self.request(deck, clear), on_progress)
        except WorkerDied as died:
            result = {"ok": False, "error": str(died), "files": []}
        seconds = time.perf_counter() - start
        self.record(deck, result, seconds)
        if self.changes is not None:  # a file saved while it built, even before it was watched: built next
            self.changes.saved_since(began)

    def record(self, deck: DeckState, result: dict, seconds: float) -> None:
        files = {Path(f) for f in result.get("files", [])} or deck.files | {deck.source}
        self.state.update(deck.name, files=files)
        if self.changes is not None:  # files read for the first time (includes elsewhere) are watched now
            self.changes.listen(self.roots())
        for line in result.get("cache_log", []):
            self.say(f"cache: {line}", error=True)
        for w in result.get("warnings", []):
            if w not in deck.warnings:
                self.say(f"warning: {w}", error=True)
        if result["ok"]:
            self.state.update(deck.name, files=files, error=None, building=False, new_version=True,
                              builds=deck.builds + 1, warnings=result.get("warnings", []))
            outs = ", ".join(display_path(Path(o)) for o in result.get("outputs", []))
            self.say(f"built {deck.name} in {seconds:.2f} s -> {outs}")
        else:
            self.state.update(deck.name, files=files, error=result["error"], building=False,
                              failures=deck.failures + 1)
            self.say(f"error: {result['error']}", error=True)
            self.say(f"build of {deck.name} failed; still serving the last good deck")

    # --- watching ---------------------------------------------------------------------------
    def known_files(self) -> set[Path]:
        with self.state.cond:
            return {f for deck in self.state.decks.values() for f in deck.files | {deck.source}}

    def roots(self) -> list[Path]:
        """Folders to watch: sources, the project's figures, deck's themes, where included files live."""
        folders = {self.source_dir} | {PACKAGE / d for d in ENGINE_DIRS}
        if self.figures_dir:
            folders.add(self.figures_dir)
        with self.state.cond:
            for deck in self.state.decks.values():
                folders |= {f.parent for f in deck.files | {deck.source}}
        # watching a folder covers its sub-folders: keep only the outermost ones
        kept = sorted(f for f in folders if f.is_dir())
        return [f for f in kept if not any(f != g and is_under(f, g) for g in kept)]

    def watch_filter(self):
        from watchfiles import DefaultFilter

        cache = cache_root(self.root)
        return DefaultFilter(ignore_paths=[str(self.out_dir), str(cache)])

    def on_changes(self, raw) -> None:
        changes = [(c.name, Path(p).resolve()) for c, p in raw]
        plan = plan_rebuild(changes, self.state.decks, self.source_dir, self.discover, self.figures_dir)
        for name in plan.removed:
            with self.state.cond:
                self.state.decks.pop(name, None)
            self.say(f"{name}: source deleted, no longer built")
        for path in plan.added:
            plan.decks.add(self.add_deck(path).name)
        if plan.restart:
            self.say("Python code changed: starting a fresh build process")
            self.worker.restart()
        if plan.decks:
            shown = sorted({display_path(p) for _, p in changes if p.exists()})[:3] or ["files"]
            self.build(plan.decks, plan.clear_caches, f" ({', '.join(shown)} changed)")

    def run(self) -> int:
        from ..errors import DeckError
        from ..pipeline import find_decks

        try:
            sources = find_decks(self.options)
        except DeckError as err:
            self.say(f"error: {err}", error=True)
            return 2
        for source in sources:
            self.add_deck(source)
        try:
            server = make_server(self.state, self.host, self.port)
        except OSError as exc:
            self.say(f"error: cannot serve on {self.host}:{self.port}: {exc.strerror or exc} "
                     f"(choose another with --port, or --port 0 for any free port)", error=True)
            return 2
        thread = threading.Thread(target=server.serve_forever, name="deck-http", daemon=True)
        thread.start()
        url = f"http://{self.host}:{server.server_address[1]}/"
        self.say(f"serving {self.out_dir} at {url}  (Ctrl-C to stop)")
        for deck in sorted(self.state.decks.values(), key=lambda d: d.name):
            self.say(f"  {deck.name}: {url}{deck.html_name}")
        what = "HTML and PDF" if self.options.pdf else "HTML only (add --pdf for the PDF too)"
        self.say(f"watching for changes; rebuilding {what}")
        previous = signal.signal(signal.SIGTERM, _interrupt)
        self.changes = changes = ChangeFeed(self.watch_filter(), self.known_files)
        try:
            changes.listen(self.roots())  # before the first build: a save during it is a change after it
            self.worker.start()
            self.build(list(self.state.decks))
            while True:
                self.on_changes(changes.next())
        except KeyboardInterrupt:
            pass
        finally:
            interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup
            changes.close()
            self.state.close()
            server.shutdown()
            server.server_close()
            self.worker.stop()
            signal.signal(signal.SIGTERM, previous)
            signal.signal(signal.SIGINT, interrupt)
        self.say("stopped")
        return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class ChangeFeed:
    """File changes, heard by a thread that listens all the time, builds included: a file saved while
    a deck builds (the first build as any other) is a change to build once that build ends.

    A listener takes a moment to start watching (new folders, when a deck includes a file elsewhere):
    meanwhile, and for what a build read before it was watched, the files' times are compared too.
    """

    STARTING_SECONDS = 2.0  # how long a new listener may take to watch: the former one and polling cover it

    def __init__(self, watch_filter, files: Callable[[], set[Path]]):
        self.filter, self.files = watch_filter, files
        self.queue: queue.Queue = queue.Queue()
        self.roots: list[Path] | None = None
        self.stop: threading.Event | None = None
        self.starting: tuple[float, float] | None = None  # (since: time.time(), until: time.monotonic())
        self.seen: dict[str, float] = {}  # modification time of each file when its change was last given out

    def listen(self, roots: list[Path]) -> None:
        """Watch `roots` (and stop watching the former ones once the new listener has started)."""
        if roots == self.roots:
            return
        former, self.roots, self.stop = self.stop, roots, threading.Event()
        threading.Thread(target=self._listen, args=(roots, self.stop), name="deck-watch", daemon=True).start()
        self.starting = (time.time(), time.monotonic() + self.STARTING_SECONDS)
        if former is not None:
            threading.Timer(self.STARTING_SECONDS, former.set).start()

    def _listen(self, roots: list[Path], stop: threading.Event) -> None:
        from watchfiles import watch

        for raw in watch(*roots, watch_filter=self.filter, step=50, debounce=800, stop_event=stop,
                         raise_interrupt=False):
            self.queue.put(raw)

    def saved_since(self, when: float) -> None:
        """Report the known files modified after `when` (a build's start, a listener's) as changed."""
        from watchfiles import Change

        late = {(Change.modified, str(path)) for path in self.files() if (_mtime(str(path)) or 0.0) > when}
        if late:
            self.queue.put(late)

    def next(self) -> set:
        """The changes heard since the last call, waiting for some if there are none yet. A change
        heard twice (by a listener and by comparing times) is given once."""
        while True:
            if self.starting and time.monotonic() < self.starting[1]:
                self.saved_since(self.starting[0])
            try:
                changes = set(self.queue.get(timeout=0.1))  # a timeout: Ctrl-C is heard while waiting
            except queue.Empty:
                continue
            while True:
                try:
                    changes |= self.queue.get_nowait()
                except queue.Empty:
                    break
            changes = {c for c in changes if self._new(c[1])}
            if changes:
                return changes

    def _new(self, path: str) -> bool:
        mtime = _mtime(path)
        if mtime is None:  # deleted: always news, and its time forgotten: moved back (`mv` keeps the
            self.seen.pop(path, None)  # time it had) it is news again, however many times
            return True
        if self.seen.get(path) == mtime:
            return False
        self.seen[path] = mtime
        return True

    def close(self) -> None:
        if self.stop is not None:
            self.stop.set()


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None
