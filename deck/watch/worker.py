"""The --watch worker: a long-lived process that builds decks with warm imports and caches."""
from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from types import SimpleNamespace

from ..processes.child import Channel, Child


class WorkerDied(Exception):
    """The build process ended while building; the message says which deck and how it ended."""


def worker_main(conn: Channel) -> None:
    """The child process (started by `deck.processes.child`, which leaves Ctrl-C to the server):
    warm up, then build what the server asks, one deck at a time, forever."""
    try:
        preload_pdf = conn.recv()
    except (EOFError, OSError):
        return
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
            warm = not preload_pdf  # with --pdf: once idle, the deck's print styles are made ready


def _preload(pdf: bool) -> None:
    """Import what builds need, once for the worker's life."""
    import deck.execute.runner  # noqa: F401
    import deck.pipeline  # noqa: F401
    import deck.render.documents  # noqa: F401

    for name in ("torch", "matplotlib.pyplot", *(("weasyprint", "pikepdf") if pdf else ())):
        try:
            __import__(name)
        except Exception:  # an optional speed-up only
            pass
    if pdf:
        from ..render.pdf import warm_up

        try:
            warm_up()
        except Exception:  # an optional speed-up only: the next build reports a real problem
            pass


def _build_one(request: dict, conn) -> dict:
    from ..errors import DeckError
    from ..pipeline import BuildOptions, build_deck
    from ..processes.supervisor import Breadcrumbs

    class ToServer(Breadcrumbs):
        """The server hears each cell the executor starts and stops (so that it can name the cell a
        dead worker was running, and stop one stuck in native code past its limit), and the build's
        progress."""

        def send(self, kind: str, where, limit) -> None:
            conn.send(("note", kind, where, limit))

        def on_progress(self, event: str, **info) -> None:
            if event == "done":
                info = {"report": SimpleNamespace(**_summary(info["report"]))}
            conn.send(("progress", event, info))

    if request.get("clear_caches"):
        clear_caches()
    path, cwd = Path(request["path"]), os.getcwd()
    options = BuildOptions(**request["options"], hooks=[ToServer()])
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
    from ..source import parse_file

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


def clear_caches() -> None:
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
        self.child: Child | None = None

    def start(self) -> None:
        self.child = Child("deck.watch.worker:worker_main")
        self.child.channel.send(self.preload_pdf)
        if self.on_start:
            self.on_start(self.child.pid)

    def build(self, deck: str, request: dict, on_progress) -> dict:
        """Send one build; forward its progress events; return its result or raise WorkerDied."""
        from ..processes.supervisor import Watchdog

        if self.child is None or not self.child.alive():
            self.start()
        child = self.child
        assert child is not None  # just started
        conn, watchdog = child.channel, Watchdog()
        try:
            conn.send(("build", request))
            while True:
                if conn.poll(0.05):
                    message = conn.recv()
                    if message[0] == "result":
                        return message[1]
                    if message[0] == "progress":
                        on_progress(message[1], **message[2])
                    elif message[0] == "note":
                        watchdog.heard(*message[1:])
                elif not child.alive() and not conn.poll(0):
                    break
                elif watchdog.overdue():
                    self.stop()  # stuck in native code, where the cell's alarm cannot stop it
                    self.start()
                    raise WorkerDied(watchdog.stuck_message("the build process was restarted"))
        except (EOFError, OSError):
            pass
        child.wait(2)
        ended = child.ended()
        child.stop()
        self.start()  # a fresh worker warms up for the next build
        where = f" while running the cell at {watchdog.where}" if watchdog.where else ""
        raise WorkerDied(f"the build process died while building {deck} ({ended}){where}\n"
                         "A cell may have crashed Python (segfault, out of memory, os._exit); "
                         "a fresh build process is ready for the next build.")

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        """Ask the worker to stop; one busy in a cell is terminated after a moment, then killed."""
        if self.child is not None:
            self.child.stop(last_message=("stop",), grace=1.5)
            self.child = None
