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

GRACE_SECONDS = float(os.environ.get("DECK_TIMEOUT_GRACE", "15"))  # after a cell's limit, before the kill
_breadcrumb_fd: int | None = None


def note(kind: str, where: str = "", limit: float | None = None) -> None:
    """Called by the executor: `start` before a cell (with its location and limit), `end` after."""
    if _breadcrumb_fd is None:
        return
    line = f"{kind}\t{where}\t{limit or ''}\n".encode("utf-8", "replace")
    try:
        os.write(_breadcrumb_fd, line)
    except OSError:
        pass


def supervised(main) -> int:
    """Run `main()` in a forked child; return its exit code, or 2 with a message if it died."""
    global _breadcrumb_fd
    if not hasattr(os, "fork") or os.environ.get("DECK_NO_FORK"):
        return main()
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
        _breadcrumb_fd = write_fd
        code = 1
        try:
            code = main()
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
    current: tuple[str, float | None, float] | None = None  # (location, limit, started)
    buffer = b""
    killed_for = None
    while True:
        wait = 1.0
        try:
            ready, _, _ = select.select([read_fd], [], [], wait)
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
                current = (where, float(limit) if limit else None, time.monotonic()) if kind == "start" else None
        if current and current[1] and time.monotonic() - current[2] > current[1] + GRACE_SECONDS:
            killed_for = current
            os.kill(pid, signal.SIGKILL)
            break
    _, status = os.waitpid(pid, 0)
    if killed_for:
        print(f"error: {killed_for[0]}: cell did not stop within its time limit of {killed_for[1]:g} s "
              f"(stuck in native code); the build was stopped", file=sys.stderr)
        return 2
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in forwarded:
        return 128 + os.WTERMSIG(status)  # stopped on request (Ctrl-C, SIGTERM): nothing to explain
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        cause = " (the system may have run out of memory)" if sig == signal.SIGKILL else ""
        where = f"while running the cell at {current[0]}" if current else "outside any cell"
        print(f"error: {current[0] + ': ' if current else ''}the build process died from {name}{cause} "
              f"{where}; previous outputs are unchanged", file=sys.stderr)
        return 2
    return os.WEXITSTATUS(status)
