"""`python build.py --watch`: build, serve build/ on 127.0.0.1, rebuild on change, reload the page in place.

Three parts, top to bottom:

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
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, unquote, urlsplit

PACKAGE = Path(__file__).resolve().parent
ENGINE_DIRS = ("themes", "runtime", "templates")  # deck's own non-Python files a build reads
EVENTS_PATH = "/__deck__/events"
STATUS_PATH = "/__deck__/status"

# --------------------------------------------------------------------------------- page script

LIVE_SCRIPT = r"""
(function () {
  "use strict";
  var cfg = __CONFIG__;
  var box = null;
  function show(text) {
    if (!box) {
      box = document.createElement("div");
      box.id = "deck-watch-overlay";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:48vh;overflow:auto;" +
        "z-index:2147483647;background:rgba(24,24,28,.94);color:#fff;padding:12px 18px;" +
        "font:14px/1.45 ui-monospace,Menlo,Consolas,monospace;box-shadow:0 -4px 16px rgba(0,0,0,.4);" +
        "border-top:4px solid #e5484d";
      var head = document.createElement("div");
      head.className = "deck-watch-head";
      head.style.cssText = "font-weight:bold;color:#ff9592;margin-bottom:6px";
      head.textContent = cfg.title;
      var pre = document.createElement("pre");
      pre.className = "deck-watch-message";
      pre.style.cssText = "margin:0;white-space:pre-wrap;font:inherit";
      box.appendChild(head);
      box.appendChild(pre);
      /* clicks and keys on the overlay must not move the deck */
      box.addEventListener("click", function (e) { e.stopPropagation(); });
      document.body.appendChild(box);
    }
    box.querySelector("pre").textContent = text;
  }
  function hide() {
    if (box && box.parentNode) box.parentNode.removeChild(box);
    box = null;
  }
  function connect() {
    if (typeof EventSource !== "function") return;
    var source = new EventSource(cfg.events);
    source.addEventListener("state", function (e) {
      var d;
      try { d = JSON.parse(e.data); } catch (err) { return; }
      if (d.version && d.version !== cfg.version) {
        source.close();
        location.reload(); /* keeps #/slide/step: the deck opens where it was */
        return;
      }
      if (d.error) show(d.error); else hide();
    });
  }
  window.deckWatch = { config: cfg, overlay: function () { return box; } };
  if (document.body) connect(); else document.addEventListener("DOMContentLoaded", connect);
})();
"""

OVERLAY_TITLE = "Build failed: the last good version of the deck is shown underneath. Fix the source and save."


def live_script(deck: str, version: str) -> str:
    config = {"deck": deck, "version": version, "title": OVERLAY_TITLE,
              "events": f"{EVENTS_PATH}?deck={deck}"}
    # `<` escaped: the script must never contain a closing script tag, whatever the names are.
    return LIVE_SCRIPT.replace("__CONFIG__", json.dumps(config).replace("<", "\\u003c"))


def inject(html: str, script: str) -> str:
    """The page with `script` added before its last `</body>` (or at its end)."""
    tag = f'<script data-deck-watch="1">{script}</script>\n'
    at = html.lower().rfind("</body>")
    return html + tag if at < 0 else html[:at] + tag + html[at:]


def placeholder_page(deck: str) -> str:
    """Served while a deck has no HTML yet: reloads itself when the first build lands."""
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{_esc(deck)}</title></head>'
            f'<body style="font:16px sans-serif;padding:2em"><p>Building <b>{_esc(deck)}</b>…</p></body></html>')


def _esc(text: str) -> str:
    from html import escape

    return escape(text)


# --------------------------------------------------------------------------------- the worker

def describe_exit(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown signal"
        return f"killed by signal {-code}, {name}"
    return f"exit code {code}"


class WorkerDied(Exception):
    """The build process ended while building; the message says which deck and how it ended."""


def worker_main(conn, preload_pdf: bool) -> None:
    """The child process: warm up, then build what the server asks, one deck at a time, forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    _forward_breadcrumbs(conn)
    warm = False
    while True:
        try:
            if not warm and not conn.poll(0):  # idle: import what later builds need, once
                _preload(preload_pdf)
                warm = True
                continue
            message = conn.recv()
        except (EOFError, OSError):
            return  # the server is gone
        if message[0] == "stop":
            return
        if message[0] == "build":
            conn.send(("result", _build_one(message[1], conn)))


def _forward_breadcrumbs(conn) -> None:
    """The executor notes each cell it starts and ends (deck.supervise.note): tell the server, so that
    it can name the cell a dead worker was running, and stop one stuck in native code past its limit."""
    from . import supervise

    def note(kind: str, where: str = "", limit: float | None = None) -> None:
        conn.send(("note", kind, where, limit))

    supervise.note = note


def _preload(pdf: bool) -> None:
    """Import what builds need, once for the worker's life."""
    import deck.execute  # noqa: F401
    import deck.pipeline  # noqa: F401
    import deck.render_html  # noqa: F401

    for name in ("torch", "matplotlib.pyplot", "weasyprint" if pdf else ""):
        if name:
            try:
                __import__(name)
            except Exception:  # an optional speed-up only
                pass


def _build_one(request: dict, conn) -> dict:
    from .errors import DeckError
    from .pipeline import BuildOptions, build_deck

    def progress(event: str, **info) -> None:
        if event == "done":
            info = {"report": SimpleNamespace(**_summary(info["report"]))}
        conn.send(("progress", event, info))

    if request.get("clear_caches"):
        _clear_caches()
    path, cwd = Path(request["path"]), os.getcwd()
    options = BuildOptions(**request["options"], progress=progress)
    try:
        report = build_deck(path, options)
    except DeckError as err:
        return {"ok": False, "error": str(err), "files": _files_read(path, options.project_root)}
    except BaseException as exc:  # deck's own bug, or a cell that called sys.exit(): report, keep serving
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-8:])
        return {"ok": False, "error": f"{path}: the build stopped: {type(exc).__name__}: {exc}\n{detail}",
                "files": []}
    finally:
        os.chdir(cwd)  # a cell may have changed the working folder
    summary = _summary(report)
    problems = [str(p) for p in report.problems]
    return {**summary, "ok": not problems, "error": "\n\n".join(problems) or None}


def _files_read(path: Path, root: Path) -> list[str]:
    """The files a deck that failed to build includes (to watch them too), if its templating works."""
    from .parse import parse_file

    try:
        return [str(Path(f).resolve()) for f in parse_file(path, root).files]
    except Exception:  # best effort: the build's own error is what the lecturer sees
        return []


def _summary(report) -> dict:
    files = [str(Path(f).resolve()) for f in (report.deck.files if report.deck else [])]
    return {"name": report.name, "slides": report.slides, "pages": report.pages, "cells": report.cells,
            "seconds": report.seconds, "outputs": [str(o) for o in report.outputs],
            "warnings": list(report.warnings), "files": files,
            "cache_log": list(getattr(report, "cache_log", []))}


def _clear_caches() -> None:
    """Forget deck's in-memory caches of its own files (themes, runtime, templates changed)."""
    for name, module in list(sys.modules.items()):
        if name == "deck" or name.startswith("deck."):
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


class Worker:
    """The server's handle on the worker process: build one deck, survive the worker's death."""

    def __init__(self, preload_pdf: bool, on_start=None):
        self.preload_pdf = preload_pdf
        self.on_start = on_start  # called with the new worker's pid
        self.context = multiprocessing.get_context("spawn")
        self.process = None
        self.conn = None

    def start(self) -> None:
        parent, child = self.context.Pipe()
        self.process = self.context.Process(target=worker_main, args=(child, self.preload_pdf),
                                            name="deck-build-worker", daemon=True)
        self.process.start()
        child.close()
        self.conn = parent
        if self.on_start:
            self.on_start(self.process.pid)

    def build(self, deck: str, request: dict, on_progress) -> dict:
        """Send one build; forward its progress events; return its result or raise WorkerDied."""
        from .supervise import GRACE_SECONDS

        if self.process is None or not self.process.is_alive():
            self.start()
        cell = None  # (location, time limit, start) of the cell running now
        try:
            self.conn.send(("build", request))
            while True:
                if self.conn.poll(0.05):
                    message = self.conn.recv()
                    if message[0] == "result":
                        return message[1]
                    if message[0] == "progress":
                        on_progress(message[1], **message[2])
                    elif message[0] == "note":
                        cell = (message[2], message[3], time.monotonic()) if message[1] == "start" else None
                elif not self.process.is_alive() and not self.conn.poll(0):
                    break
                elif cell and cell[1] and time.monotonic() - cell[2] > cell[1] + GRACE_SECONDS:
                    self.stop()  # stuck in native code, where the cell's alarm cannot stop it
                    self.start()
                    raise WorkerDied(f"{cell[0]}: cell did not stop within its time limit of {cell[1]:g} s "
                                     f"(stuck in native code); the build process was restarted")
        except (EOFError, OSError):
            pass
        self.process.join(2)
        code = self.process.exitcode
        self._discard()
        self.start()  # a fresh worker warms up for the next build
        where = f" while running the cell at {cell[0]}" if cell else ""
        raise WorkerDied(f"the build process died while building {deck} ({describe_exit(code)}){where}\n"
                         "A cell may have crashed Python (segfault, out of memory, os._exit); "
                         "a fresh build process is ready for the next build.")

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            self.conn.send(("stop",))
        except (OSError, ValueError):
            pass
        self.process.join(1.5)
        if self.process.is_alive():
            self.process.terminate()  # busy in a cell: no need to wait for it
            self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self._discard()

    def _discard(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass
        self.process, self.conn = None, None


# --------------------------------------------------------------------------------- shared state

@dataclass
class DeckState:
    name: str
    source: Path
    html_name: str
    files: set[Path] = field(default_factory=set)
    version: str = "disk"            # "disk": whatever an earlier run left in the output folder
    error: str | None = None
    building: bool = False
    builds: int = 0
    failures: int = 0
    warnings: list[str] = field(default_factory=list)

    def public(self) -> dict:
        return {"version": self.version, "error": self.error, "building": self.building,
                "builds": self.builds, "failures": self.failures}


class WatchState:
    """Deck states shared by the watch loop (writer) and the HTTP threads (readers)."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.decks: dict[str, DeckState] = {}
        self.session = f"{os.getpid():x}{int(time.time() * 1000) % 10**8:x}"
        self.counter = 0
        self.changes = 0  # bumped on every update; SSE streams wait on it
        self.closing = False
        self.worker_pid: int | None = None
        self.cond = threading.Condition()

    def update(self, name: str, **fields) -> None:
        with self.cond:
            deck = self.decks[name]
            if fields.pop("new_version", False):
                self.counter += 1
                deck.version = f"{self.session}-{self.counter}"
            for key, value in fields.items():
                setattr(deck, key, value)
            self.changes += 1
            self.cond.notify_all()

    def snapshot(self, name: str) -> dict | None:
        with self.cond:
            deck = self.decks.get(name)
            return deck.public() if deck else None

    def by_html(self, filename: str) -> DeckState | None:
        with self.cond:
            return next((d for d in self.decks.values() if d.html_name == filename), None)

    def close(self) -> None:
        with self.cond:
            self.closing = True
            self.cond.notify_all()


# --------------------------------------------------------------------------------- the server

class Handler(SimpleHTTPRequestHandler):
    """Files of the output folder; HTML pages get the live script; SSE and status endpoints."""

    state: WatchState  # set on the subclass made by make_server

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        if path == EVENTS_PATH:
            return self.events(parse_qs(url.query).get("deck", [""])[0])
        if path == STATUS_PATH:
            with self.state.cond:
                body = {"decks": {n: d.public() for n, d in self.state.decks.items()},
                        "worker": self.state.worker_pid}
            return self.reply(json.dumps(body).encode(), "application/json")
        if path == "/":
            return self.reply(self.index().encode(), "text/html; charset=utf-8")
        deck = self.state.by_html(path.lstrip("/"))
        if deck is not None:
            return self.page(deck)
        return super().do_GET()

    def page(self, deck: DeckState) -> None:
        version = deck.version  # read before the file: a newer file with an older version only reloads once more
        try:
            html = (self.state.out_dir / deck.html_name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            html = placeholder_page(deck.name)
        body = inject(html, live_script(deck.name, version)).encode("utf-8")
        self.reply(body, "text/html; charset=utf-8")

    def index(self) -> str:
        with self.state.cond:
            decks = sorted(self.state.decks.values(), key=lambda d: d.name)
        items = "".join(f'<li><a href="/{_esc(d.html_name)}">{_esc(d.name)}</a>'
                        f'{" (build error)" if d.error else ""}</li>' for d in decks)
        return f'<!doctype html><meta charset="utf-8"><title>decks</title><ul>{items}</ul>'

    def reply(self, body: bytes, content_type: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def events(self, name: str) -> None:
        """Server-Sent Events: the deck's state now, then each time it changes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        state, sent, seen = self.state, None, -1
        try:
            self.wfile.write(b"retry: 500\n\n")
            while True:
                with state.cond:
                    state.cond.wait_for(lambda: state.changes != seen or state.closing, timeout=15)
                    if state.closing:
                        return
                    seen = state.changes
                payload = json.dumps(state.snapshot(name) or {"version": "", "error": f"no deck named {name!r}"})
                if payload != sent:
                    self.wfile.write(f"event: state\ndata: {payload}\n\n".encode())
                    sent = payload
                else:
                    self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return  # the page went away

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # always the latest build
        super().end_headers()

    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass  # a request log would drown the build messages


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


def make_server(state: WatchState, host: str, port: int) -> Server:
    handler = type("DeckHandler", (Handler,), {"state": state})
    return Server((host, port), lambda *a, **k: handler(*a, directory=str(state.out_dir), **k))


# --------------------------------------------------------------------------------- what to rebuild

@dataclass
class Plan:
    decks: set[str] = field(default_factory=set)
    added: list[Path] = field(default_factory=list)    # new deck sources to start building
    removed: list[str] = field(default_factory=list)   # deck sources that were deleted
    restart: bool = False                              # Python code changed: a fresh worker
    clear_caches: bool = False                         # deck's own theme/runtime/template files changed


def plan_rebuild(changes: list[tuple[str, Path]], decks: dict[str, DeckState], source_dir: Path,
                 discover: bool, figures_dir: Path | None) -> Plan:
    """Which decks a set of changed paths ("added"/"modified"/"deleted", path) affects."""
    plan = Plan()
    everything = False
    for kind, path in changes:
        if path.name.startswith(".") or path.name.endswith("~") or path.name == "4913":
            continue  # editor temporaries and lock files
        by_source = next((d for d in decks.values() if d.source == path), None)
        if by_source is not None:
            if kind == "deleted" and discover and not path.exists():
                plan.removed.append(by_source.name)
            else:
                plan.decks.add(by_source.name)
        elif discover and path.parent == source_dir and path.suffix == ".md" and not path.name.startswith("_"):
            if path.exists():
                plan.added.append(path)
        elif _under(path, PACKAGE) and path.suffix != ".py":
            plan.clear_caches = everything = True
        elif path.suffix == ".py" or (figures_dir is not None and _under(path, figures_dir)):
            plan.restart = everything = True  # the worker imported the old code
        else:
            users = {d.name for d in decks.values() if path in d.files}
            plan.decks |= users
            # an unknown file in the sources may be an image or a new include; a deleted one, a temporary
            everything |= not users and kind != "deleted" and _under(path, source_dir)
    if everything:
        plan.decks |= set(decks)
    plan.decks |= {d.name for d in decks.values() if d.error}  # any change may fix a broken deck
    plan.decks -= set(plan.removed)
    return plan


def _under(path: Path, folder: Path) -> bool:
    try:
        return path.is_relative_to(folder)
    except ValueError:
        return False


# --------------------------------------------------------------------------------- the watch loop

class Watcher:
    """Builds in the worker, keeps the shared state, prints to the terminal."""

    def __init__(self, options, port: int, host: str = "127.0.0.1"):
        from . import progress

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
        self.suffix = ("-handout" if options.handout else "") + ("-student" if options.student else "")

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
        source = source.resolve()
        deck = DeckState(source.stem, source, f"{source.stem}{self.suffix}.html", {source})
        with self.state.cond:
            self.state.decks[deck.name] = deck
        return deck

    def request(self, deck: DeckState, clear: bool) -> dict:
        o = self.options
        keys = ("project_root", "sources", "html", "pdf", "handout", "student", "cache", "verbose")
        return {"path": str(deck.source), "clear_caches": clear,
                "options": {k: getattr(o, k) for k in keys} | {"decks": [str(deck.source)], "check": False,
                                                               "out_dir": self.out_dir}}

    def build(self, names, clear: bool = False, why: str = "") -> None:
        for name in sorted(names):
            deck = self.state.decks.get(name)
            if deck is not None:
                self.build_one(deck, clear, why)
                clear = False

    def build_one(self, deck: DeckState, clear: bool, why: str) -> None:
        from . import progress

        self.state.update(deck.name, building=True)
        if not self.interactive:
            self.say(f"building {deck.name}{why} ...")
        start = time.perf_counter()
        display = progress.TerminalProgress(sys.stderr) if self.interactive else None

        def on_progress(event: str, **info) -> None:
            if display is not None and event != "done":  # the "built ..." line below says it
                display(event, **info)

        try:
            with display or contextlib.nullcontext():
                result = self.worker.build(deck.name, self.request(deck, clear), on_progress)
        except WorkerDied as died:
            result = {"ok": False, "error": str(died), "files": []}
        seconds = time.perf_counter() - start
        self.record(deck, result, seconds)

    def record(self, deck: DeckState, result: dict, seconds: float) -> None:
        files = {Path(f) for f in result.get("files", [])} or deck.files | {deck.source}
        for line in result.get("cache_log", []):
            self.say(f"cache: {line}", error=True)
        for w in result.get("warnings", []):
            if w not in deck.warnings:
                self.say(f"warning: {w}", error=True)
        if result["ok"]:
            self.state.update(deck.name, files=files, error=None, building=False, new_version=True,
                              builds=deck.builds + 1, warnings=result.get("warnings", []))
            outs = ", ".join(_relative(Path(o)) for o in result.get("outputs", []))
            self.say(f"built {deck.name} in {seconds:.2f} s -> {outs}")
        else:
            self.state.update(deck.name, files=files, error=result["error"], building=False,
                              failures=deck.failures + 1)
            self.say(f"error: {result['error']}", error=True)
            self.say(f"build of {deck.name} failed; still serving the last good deck")

    # --- watching ---------------------------------------------------------------------------
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
        return [f for f in kept if not any(f != g and _under(f, g) for g in kept)]

    def watch_filter(self):
        from watchfiles import DefaultFilter

        cache = Path(os.environ.get("DECK_CACHE_DIR") or self.root / ".deck_cache").resolve()
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
            shown = sorted({_relative(p) for _, p in changes if p.exists()})[:3] or ["files"]
            self.build(plan.decks, plan.clear_caches, f" ({', '.join(shown)} changed)")

    def run(self) -> int:
        from watchfiles import watch

        from .errors import DeckError
        from .pipeline import find_decks

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
        try:
            self.worker.start()
            self.build(list(self.state.decks))
            while True:
                roots = self.roots()
                for raw in watch(*roots, watch_filter=self.watch_filter(), step=50, debounce=800):
                    self.on_changes(raw)
                    if self.roots() != roots:
                        break  # a deck now includes a file elsewhere: watch there too
        except KeyboardInterrupt:
            pass
        finally:
            interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup
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


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run_watch(options, port: int = 8000, host: str = "127.0.0.1") -> int:
    """Build, serve and rebuild until Ctrl-C; the exit status (0 after Ctrl-C, 2 if it cannot start)."""
    return Watcher(options, port, host).run()
