"""Run the build in a child process, so a cell that kills its process cannot hide which cell it was.

The parent imports nothing heavy: it forks, then reads breadcrumbs (the cell being run and its time
limit, the outputs being published) that the child writes to a pipe, and the child's outcome from
another. If the child dies (a signal: segfault, out-of-memory kill, os.abort; or an exit from the
middle of a cell: os._exit) the parent names the cell and says truly which outputs were written; if
a cell overruns its time limit inside native code, where Python's alarm cannot interrupt it, the
parent kills the child and says so. Every way the child can end is said, with its exit code.

The end of the child is seen from its process, not from its pipes: a process the child forked
(a cell's daemon) may hold the pipes open long after. Each child has a process group of its own,
killed when the child ends, so nothing a cell started outlives the build.

`run_in_processes` builds several decks in parallel the same way, one watched process per deck.
"""
from __future__ import annotations

import json
import os
import pickle
import select
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

from ..errors import EXIT_ERROR, CellError, DeckError, Location
from ..observe import BuildObserver
from ..shared.files import complete_publication, display_path
from ..shared.signals import die_with_parent, stopped_message
from .exits import describe_status


def grace_seconds() -> float:
    """After a cell's limit, how long before its process is killed (`$DECK_TIMEOUT_GRACE`, read when a
    watch starts: the tests shorten it)."""
    return float(os.environ.get("DECK_TIMEOUT_GRACE", "15"))

BUG = "deck stopped on an unexpected error: this is a bug in deck, please report it with what follows"


class Breadcrumbs(BuildObserver):
    """Execution hooks that tell a watching process which item runs now, and for how long at most."""

    def send(self, kind: str, location: Location | None, limit: float | None) -> None:
        """Tell the watching process: kind is "start" (with the item's location and limit) or "end"."""
        raise NotImplementedError

    def on_start(self, item, time_limit) -> None:
        self.send("start", item.location, time_limit)

    def on_stop(self, item) -> None:
        self.send("end", None, None)


class PipeBreadcrumbs(Breadcrumbs):
    """Breadcrumbs written as JSON lines to a pipe (the supervisor reads the other end)."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, kind: str, location: Location | None, limit: float | None) -> None:
        where = [str(location.path), location.line, location.slide] if location else None
        self._write([kind, where, limit])

    def on_publish(self, stage: str, journal: Path) -> None:
        self._write([stage, str(journal), None])

    def _write(self, record: list) -> None:
        try:
            os.write(self.fd, (json.dumps(record) + "\n").encode("utf-8"))
        except OSError:
            pass


class Watchdog:
    """The watching side: the item running now, and whether it overran its limit past the grace.

    Python's alarm stops most cells at their limit; a cell stuck in native code only stops when the
    watching process kills its builder. The supervisor and the --watch server both use this.
    """

    def __init__(self):
        self.current: tuple[Location, float | None, float] | None = None  # (location, limit, started)
        self.grace = grace_seconds()

    def heard(self, kind: str, where: Location | None = None, limit: float | None = None) -> None:
        self.current = (where, limit, time.monotonic()) if kind == "start" and where else None

    def overdue(self) -> bool:
        return bool(self.current and self.current[1]
                    and time.monotonic() - self.current[2] > self.current[1] + self.grace)

    @property
    def location(self) -> Location | None:
        return self.current[0] if self.current else None

    @property
    def where(self) -> str | None:
        return str(self.current[0]) if self.current else None

    def stuck_error(self, then: str) -> CellError:
        assert self.current is not None, "only a process that is running a cell can be stuck in it"
        where, limit, _ = self.current
        return CellError(f"cell did not stop within its time limit of {limit:g} s (stuck in native code); {then}",
                         where)

    def stuck_message(self, then: str) -> str:
        return str(self.stuck_error(then))


# --------------------------------------------------------------------------------- the child side

def _outcome(fn: Callable, hooks: list) -> tuple:
    """What `fn(hooks=...)` came to, as the watching side reads it: ("ok", value), ("error", DeckError),
    ("exit", SystemExit code), ("interrupted", None) or ("bug", traceback text)."""
    try:
        return ("ok", fn(hooks=hooks))
    except DeckError as err:
        return ("error", err)
    except SystemExit as exc:
        return ("exit", exc.code)
    except KeyboardInterrupt as exc:  # Ctrl-C: the runner notes the cell it stopped
        return ("interrupted", getattr(exc, "location", None))
    except BaseException:  # noqa: BLE001 - deck's own bug: said in full, never swallowed
        return ("bug", traceback.format_exc())


def _child(fn: Callable, parent: int, crumbs: int, results: int) -> None:
    """The forked process: run `fn`, send its outcome, exit. Never returns."""
    try:
        die_with_parent(parent)
        # Its own process group: a terminal's Ctrl-C reaches the parent only, which forwards it
        # once; so do SIGINT/SIGTERM sent to the parent's pid alone (service managers, CI).
        os.setpgid(0, 0)
        outcome = _outcome(fn, [PipeBreadcrumbs(crumbs)])
        try:
            data = pickle.dumps(outcome)
        except Exception:  # noqa: BLE001 - a result that cannot travel is a bug too
            data = pickle.dumps(("bug", traceback.format_exc()))
        view = memoryview(data)
        while view:
            view = view[os.write(results, view):]
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
    finally:
        os._exit(0)


# --------------------------------------------------------------------------------- the watching side

class Forked:
    """`fn(hooks=...)` run in a forked process of its own (and its own process group), watched from here."""

    def __init__(self, fn: Callable, forward: list | tuple = (), label: str | None = None):
        crumbs_r, crumbs_w = os.pipe()
        results_r, results_w = os.pipe()
        parent = os.getpid()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        pid = os.fork()
        if pid == 0:
            os.close(crumbs_r)
            os.close(results_r)
            _child(fn, parent, crumbs_w, results_w)
        os.close(crumbs_w)
        os.close(results_w)
        try:
            os.setpgid(pid, pid)  # also from this side: no signal can reach it before its group exists
        except OSError:
            pass
        for fd in (crumbs_r, results_r):
            os.set_blocking(fd, False)
        self.pid = pid
        self.crumbs: int | None = crumbs_r   # the pipes, until the process has ended
        self.results: int | None = results_r
        self.forward = list(forward)          # hooks that hear this process's publications too
        self.label = label                    # what it builds (a deck of a parallel build), if not everything
        self.pidfd: int | None = _pidfd(pid)
        self.watchdog = Watchdog()
        self.buffer, self.data = b"", bytearray()
        self.publishing: dict[str, list[Path]] = {}  # journal -> outputs being renamed now
        self.published: list[Path] = []
        self.status: int | None = None        # waitpid status, once ended
        self.stuck = False

    # --- hearing it -------------------------------------------------------------------------
    def fds(self) -> list[int]:
        return [fd for fd in (self.crumbs, self.results, self.pidfd) if fd is not None]

    def read(self) -> None:
        """Everything the process sent so far (its pipes never block this side)."""
        for fd, sink in ((self.crumbs, None), (self.results, self.data)):
            while fd is not None:
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                if sink is not None:
                    sink += chunk
                else:
                    self._crumbs(chunk)

    def _crumbs(self, chunk: bytes) -> None:
        *lines, self.buffer = (self.buffer + chunk).split(b"\n")
        for raw in lines:
            try:
                kind, where, limit = json.loads(raw)
            except (ValueError, TypeError):
                continue  # not ours: a process the cell forked wrote here
            if kind in ("start", "end"):
                self.watchdog.heard(kind, Location(Path(where[0]), where[1], where[2]) if where else None, limit)
            elif kind in ("publishing", "published"):
                self._publication(kind, Path(where))

    def _publication(self, stage: str, journal: Path) -> None:
        if stage == "publishing":
            try:
                self.publishing[str(journal)] = [Path(t) for _, t in json.loads(journal.read_text(encoding="utf-8"))]
            except (OSError, ValueError):
                self.publishing[str(journal)] = []
        else:
            self.published += self.publishing.pop(str(journal), [])
        for hook in self.forward:
            hook.on_publish(stage, journal)

    # --- its end ----------------------------------------------------------------------------
    def ended(self) -> bool:
        """Has the process ended? Once it has, it is reaped and what it started is killed."""
        if self.status is not None:
            return True
        try:
            if os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
                return False
        except ChildProcessError:
            pass
        self.read()
        try:  # still a zombie, so its group cannot be another's yet: what a cell forked goes with it
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            _, self.status = os.waitpid(self.pid, 0)
        except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored): its status is lost
            self.status = 0
        self.read()
        for fd in self.fds():
            os.close(fd)
        self.crumbs = self.results = self.pidfd = None
        for journal in list(self.publishing):  # killed while renaming its outputs: finish the renames
            complete_publication(Path(journal))
            self.published += self.publishing.pop(journal)
        return True

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass

    def outcome(self) -> tuple | None:
        """What the process sent back, or None if it ended without (it died)."""
        try:
            return pickle.loads(bytes(self.data)) if self.data else None
        except Exception:  # noqa: BLE001 - cut short by its death
            return None

    def death(self) -> DeckError:
        """What to say about a process that ended without its outcome."""
        if self.stuck:
            return self.watchdog.stuck_error("the build was stopped")
        where = self.watchdog.location
        how = describe_status(self.status or 0)
        at = f"while running the cell at {where}" if where else "outside any cell"
        message = f"the build process {how} {at}; {self.outputs_note()}"
        return CellError(message, where) if where else DeckError(message)

    def outputs_note(self) -> str:
        if not self.published:
            return f"the previous outputs of {self.label} are unchanged" if self.label else \
                "previous outputs are unchanged"
        shown = ", ".join(display_path(p) for p in self.published)
        return f"outputs written before it ended, each set whole: {shown}; other outputs are unchanged"


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None  # polled instead


def _watch(children: list[Forked]) -> list[Forked]:
    """Wait until one of `children` has ended (hearing all of them meanwhile); those that have."""
    while True:
        done = [c for c in children if c.ended()]
        if done:
            return done
        polled = any(c.pidfd is None for c in children)
        try:
            select.select([fd for c in children for fd in c.fds()], [], [], 0.1 if polled else 1.0)
        except InterruptedError:  # a forwarded signal; keep watching
            pass
        for child in children:
            child.read()
            if not child.stuck and child.watchdog.overdue():
                child.stuck = True
                child.kill()


def run_in_processes(tasks: list[Callable], workers: int, forward: list | tuple = (),
                     labels: list[str] | None = None, on_start: Callable[[int], None] | None = None,
                     on_end: Callable[[int, tuple], None] | None = None) -> list[tuple]:
    """Each task (called as `task(hooks=...)`) in a watched process of its own, `workers` at a time;
    their outcomes in order: ("ok", value) or ("error", DeckError), a death or a bug said as an error
    (located at the cell that was running). `forward`: hooks that hear the tasks' publications;
    `labels`: what each task builds, as messages name it; `on_start(i)`, `on_end(i, outcome)`: told
    as each task starts and ends."""
    outcomes: list[tuple] = [()] * len(tasks)
    running: dict[Forked, int] = {}
    queued = list(enumerate(tasks))[::-1]
    try:
        while True:
            while len(running) < max(workers, 1) and queued:
                index, task = queued.pop()
                running[Forked(task, forward, labels[index] if labels else None)] = index
                if on_start:
                    on_start(index)
            if not running:
                return outcomes
            for child in _watch(list(running)):
                index = running.pop(child)
                outcomes[index] = _as_result(child)
                if on_end:
                    on_end(index, outcomes[index])
    except BaseException:  # Ctrl-C, or SIGTERM turned into an exception: nothing goes on alone
        for child in running:
            child.kill()
        for child in running:
            child.ended()
        raise


def _as_result(child: Forked) -> tuple:
    outcome = child.outcome()
    if outcome is None:
        return ("error", child.death())
    kind, value = outcome
    if kind in ("ok", "error"):
        return outcome
    if kind == "bug":
        return ("error", DeckError(BUG, detail=value))
    how = "interrupted" if kind == "interrupted" else f"SystemExit: {value}"
    return ("error", DeckError(f"the build process stopped ({how})"))


def supervised(main) -> int:
    """Run `main(hooks=[...])` in a forked child; return its exit code, or 2 with a message if it died.

    The child's executor reports each item it starts and stops through the hooks given to `main`.
    """
    if not hasattr(os, "fork") or os.environ.get("DECK_NO_FORK"):
        return _exit_code(_outcome(main, []))
    child = Forked(main)
    forwarded: list[int] = []

    def forward(signum, frame):
        forwarded.append(signum)
        try:
            os.kill(child.pid, signum)
        except ProcessLookupError:
            pass

    # A signal ignored when deck started (a background job of a script) stays ignored.
    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)
                if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        _watch([child])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    outcome = child.outcome()
    if outcome is None:
        status = child.status or 0  # set: _watch returned, so the child has ended
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) in forwarded and not child.stuck:
            # stopped on request (Ctrl-C, SIGTERM): said, with the cell that was running
            print(f"error: {stopped_message(os.WTERMSIG(status), child.watchdog.location)}", file=sys.stderr)
            return 128 + os.WTERMSIG(status)
        print(f"error: {child.death()}", file=sys.stderr)
        return EXIT_ERROR
    return _exit_code(outcome)


def _exit_code(outcome: tuple) -> int:
    """The exit code for the outcome of `main`, said on stderr when it is not main's own."""
    kind, value = outcome
    if kind == "ok":
        return value if isinstance(value, int) else 0
    if kind == "exit":  # argparse's usage errors (already printed), or sys.exit() from outside a cell
        if value is None or isinstance(value, int):
            return value or 0
        print(f"error: {value}", file=sys.stderr)
        return EXIT_ERROR
    if kind == "interrupted":
        print(f"error: {stopped_message(signal.SIGINT, value)}", file=sys.stderr)
        return 128 + signal.SIGINT
    if kind == "error":
        print(f"error: {value}", file=sys.stderr)
        return value.exit_code
    print(f"error: {BUG}\n{value.rstrip()}", file=sys.stderr)
    return EXIT_ERROR
