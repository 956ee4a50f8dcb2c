"""Time limits of cells and inline expressions, inside the process (Python's alarm).

A cell stuck in native code, where the alarm cannot interrupt it, is stopped from outside by the
supervisor (`deck/processes/supervisor.py`), which hears each item's limit through the executor's hooks.
"""
from __future__ import annotations

import contextlib


class CellTimeout(BaseException):
    """Raised by the alarm inside a cell that runs past its time limit. A BaseException, so that a
    cell's own `except Exception:` cannot swallow it."""


class Interrupted(KeyboardInterrupt):
    """A real Ctrl-C (SIGINT) while cells run, told apart from a cell's own `raise KeyboardInterrupt`
    (a cell error like any other)."""


@contextlib.contextmanager
def interrupts_marked():
    """While cells run, SIGINT raises `Interrupted` (where it would raise KeyboardInterrupt)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield  # SIGINT ignored (the --watch worker) or handled by someone else: left alone
        return

    def interrupted(signum, frame):
        raise Interrupted

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def time_limit(seconds: float | None):
    import signal
    import threading

    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def alarm(signum, frame):
        raise CellTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
