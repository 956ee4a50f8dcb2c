"""Signals a build process lives with: dying with its parent (Linux), and a few steps no signal cuts in half.

A build child must not go on alone when its supervising process is killed (`die_with_parent`). But
while it renames a set of outputs into place, a signal (Ctrl-C forwarded, SIGTERM, its parent's death)
must wait for the last rename: `uninterrupted()` holds them and delivers them right after.
"""
from __future__ import annotations

import contextlib
import functools
import os
import signal
import threading
from typing import Iterator

PR_SET_PDEATHSIG, PR_GET_PDEATHSIG = 1, 2
HELD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@functools.lru_cache(maxsize=1)
def _libc():
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc if hasattr(libc, "prctl") else None
    except OSError:
        return None


def death_signal() -> int:
    """The signal this process gets when its parent dies (0: none, or not Linux)."""
    libc = _libc()
    if libc is None:
        return 0
    import ctypes

    value = ctypes.c_int(0)
    return value.value if libc.prctl(PR_GET_PDEATHSIG, ctypes.byref(value), 0, 0, 0) == 0 else 0


def set_death_signal(sig: int) -> bool:
    libc = _libc()
    return libc is not None and libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0


def die_with_parent(parent: int) -> None:
    """If the supervising process (pid `parent`, read before the fork) is killed, this process must not
    go on alone (Linux only)."""
    set_death_signal(signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(2)


@contextlib.contextmanager
def uninterrupted() -> Iterator[None]:
    """Run the block whole: SIGINT, SIGTERM, SIGHUP and the parent's death are held until it ends,
    then delivered. Only the main thread can hold signals; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {}
    for sig in HELD:
        handler = signal.getsignal(sig)
        if handler is not signal.SIG_IGN and handler is not None:
            previous[sig] = signal.signal(sig, lambda signum, frame: pending.append(signum))
    deathsig, parent = death_signal(), os.getppid()
    if deathsig:
        set_death_signal(0)
    try:
        yield
    finally:
        if deathsig:
            set_death_signal(deathsig)
            if os.getppid() != parent:  # the parent died meanwhile: its signal is due now
                pending.append(deathsig)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for number in dict.fromkeys(pending):
            os.kill(os.getpid(), number)


def stopped_message(signum: int, location=None) -> str:
    """What a build stopped by a signal (Ctrl-C, SIGTERM from a service manager or CI) says: which
    signal, the cell that was running if one was, what was left, and its exit code (128 + signal)."""
    name = signal.Signals(signum).name
    how = " (Ctrl-C)" if signum == signal.SIGINT else ""
    where = f" while the cell at {location} ran" if location else ""
    return (f"stopped by {name}{how}{where}: the build did not finish; no output is left half-written "
            f"(each deck's outputs are replaced together or not at all) (exit code {128 + signum})")
