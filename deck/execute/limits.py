"""Time limits of cells and inline expressions, inside the process (Python's alarm).

A cell stuck in native code, where the alarm cannot interrupt it, is stopped from outside by the
supervisor (`supervise.py`), which hears each item's limit through the executor's hooks.
"""
from __future__ import annotations

import contextlib


class CellTimeout(BaseException):
    """Raised by the alarm inside a cell that runs past its time limit. A BaseException, so that a
    cell's own `except Exception:` cannot swallow it."""


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
