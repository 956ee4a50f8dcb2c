"""How a process ended, said the same way wherever deck watches one (the supervisor, a deck of a
parallel build, the --watch worker, the PDF helper, the pytest plugin's child)."""
from __future__ import annotations

import os
import signal


def signal_name(number: int) -> str:
    """`SIGKILL` for 9; the number itself for a signal Python has no name for."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def describe_exit(code: int | None) -> str:
    """An exit code as `subprocess` and `multiprocessing` give it (negative: killed by that signal)."""
    if code is None:
        return "no exit status"
    if code < 0:
        return f"killed by signal {-code}, {signal_name(-code)}"
    return f"exit code {code}"


def describe_status(status: int) -> str:
    """A `waitpid` status, as the supervisor says how a build process died."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return f"died from {signal_name(sig)}" + (" (the system may have run out of memory)"
                                                  if sig == signal.SIGKILL else "")
    return f"ended with exit status {os.waitstatus_to_exitcode(status)} (os._exit?)"
