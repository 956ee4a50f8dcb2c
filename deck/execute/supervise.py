"""Run the build in a child process, so a cell that kills its process cannot hide which cell it was.

The parent imports nothing heavy: it forks, then reads breadcrumbs (the cell being run and its time
limit) that the child writes to a pipe. If the child dies from a signal (segfault, out-of-memory
kill, os.abort) the parent names the cell; if a cell overruns its time limit inside native code,
where Python's alarm cannot interrupt it, the parent kills the child and says so.
"""
from __future__ import annotations

import os
import select
import signal
import sys
import time

from .runner import ExecutionHooks

GRACE_SECONDS = float(os.environ.get("DECK_TIMEOUT_GRACE", "15"))  # after a cell's limit, before the kill


class Breadcrumbs(ExecutionHooks):
    """Execution hooks that tell a watching process which item runs now, and for how long at most."""

    def __init__(self, send):
        self.send = send  # send(kind, where, limit): kind is "start" or "end"

    def on_start(self, item, time_limit) -> None:
        self.send("start", str(item.location), time_limit)

    def on_stop(self, item) -> None:
        self.send("end", "", None)


class PipeBreadcrumbs(Breadcrumbs):
    """Breadcrumbs written as lines to a pipe (the supervisor reads the other end). Only an fd: it
    travels to the forked processes that build several decks in parallel."""

    def __init__(self, fd: int):
        self.fd = fd

    def send(self, kind: str, where: str, limit: float | None) -> None:
        try:
            os.write(self.fd, f"{kind}\t{where}\t{limit or ''}\n".encode("utf-8", "replace"))
        except OSError:
            pass


class Watchdog:
    """The watching side: the item running now, and whether it overran its limit past the grace.

    Python's alarm stops most cells at their limit; a cell stuck in native code only stops when the
    watching process kills its builder. The supervisor and the --watch server both use this.
    """

    def __init__(self):
        self.current: tuple[str, float | None, float] | None = None  # (location, limit, started)

    def heard(self, kind: str, where: str = "", limit: float | None = None) -> None:
        self.current = (where, limit, time.monotonic()) if kind == "start" else None

    def overdue(self) -> bool:
        return bool(self.current and self.current[1]
                    and time.monotonic() - self.current[2] > self.current[1] + GRACE_SECONDS)

    @property
    def where(self) -> str | None:
        return self.current[0] if self.current else None

    def stuck_message(self, then: str) -> str:
        where, limit, _ = self.current
        return f"{where}: cell did not stop within its time limit of {limit:g} s (stuck in native code); {then}"


def supervised(main) -> int:
    """Run `main(hooks=[...])` in a forked child; return its exit code, or 2 with a message if it died.

    The child's executor reports each item it starts and stops through the hooks given to `main`.
    """
    if not hasattr(os, "fork") or os.environ.get("DECK_NO_FORK"):
        return main(hooks=[])
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child does the real work
        os.close(read_fd)
        _die_with_parent()
        # Its own process group: a terminal's Ctrl-C reaches the parent only, which forwards it
        # once; so do SIGINT/SIGTERM sent to the parent's pid alone (service managers, CI).
        os.setpgid(0, 0)
        code = 1
        try:
            code = main(hooks=[PipeBreadcrumbs(write_fd)])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except KeyboardInterrupt:
            code = 130
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write_fd)

    forwarded: list[int] = []

    def forward(signum, frame):
        forwarded.append(signum)
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _watch_child(pid, read_fd, forwarded)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(read_fd)


def _die_with_parent() -> None:
    """If the supervising process is killed, the build must not go on alone (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(2)


def _watch_child(pid: int, read_fd: int, forwarded: list[int]) -> int:
    watchdog = Watchdog()
    buffer = b""
    stuck = False
    while True:
        try:
            ready, _, _ = select.select([read_fd], [], [], 1.0)
        except InterruptedError:  # a forwarded signal; keep watching the child
            continue
        if ready:
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break  # the child closed the pipe: it is exiting
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for raw in lines:
                kind, where, limit = (raw.decode("utf-8", "replace").split("\t") + ["", ""])[:3]
                watchdog.heard(kind, where, float(limit) if limit else None)
        if watchdog.overdue():
            stuck = True
            os.kill(pid, signal.SIGKILL)
            break
    _, status = os.waitpid(pid, 0)
    if stuck:
        print(f"error: {watchdog.stuck_message('the build was stopped')}", file=sys.stderr)
        return 2
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in forwarded:
        return 128 + os.WTERMSIG(status)  # stopped on request (Ctrl-C, SIGTERM): nothing to explain
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        cause = " (the system may have run out of memory)" if sig == signal.SIGKILL else ""
        where = watchdog.where
        at = f"while running the cell at {where}" if where else "outside any cell"
        print(f"error: {where + ': ' if where else ''}the build process died from {name}{cause} "
              f"{at}; previous outputs are unchanged", file=sys.stderr)
        return 2
    return os.WEXITSTATUS(status)
