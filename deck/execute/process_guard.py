"""What a cell must leave to the build process: its standard streams and its resource limits.

Cells run in the build's own process. A cell that closes file descriptors 1 and 2 (or points them
elsewhere) would leave deck unable to print its messages and summary, and one that lowers
RLIMIT_NOFILE unable to open the files it writes (RLIMIT_FSIZE, RLIMIT_AS...: the same kind): they
are given back as they were and the cell is a located error, instead of a crash of deck after it.
"""
from __future__ import annotations

import contextlib
import os
import resource
from typing import Iterator

from ..errors import CellError, Location


class ProcessUnusable(BaseException):
    """A cell left the process unable to go on (a hard limit it cannot raise again): not a cell error
    the build collects and goes on after, but its end, said by the command line (`error`)."""

    def __init__(self, error: CellError):
        super().__init__(str(error))
        self.error = error


HARD_LIMIT_LOST = "its hard limit cannot be raised again"
# The limits deck needs as it found them: a cell lowering one would make deck fail after it (no file
# opened, an output cut by SIGXFSZ, a MemoryError, SIGXCPU), blamed on deck.
LIMITS = {resource.RLIMIT_NOFILE: "open-file limit (RLIMIT_NOFILE)", resource.RLIMIT_FSIZE: "file-size limit (RLIMIT_FSIZE)",
          resource.RLIMIT_AS: "memory limit (RLIMIT_AS)", resource.RLIMIT_DATA: "data-size limit (RLIMIT_DATA)",
          resource.RLIMIT_CPU: "CPU-time limit (RLIMIT_CPU)", resource.RLIMIT_NPROC: "process limit (RLIMIT_NPROC)",
          resource.RLIMIT_STACK: "stack-size limit (RLIMIT_STACK)"}
STREAMS = {0: "standard input", 1: "standard output", 2: "standard error"}
_copies: dict[int, tuple[int, tuple | None]] = {}  # fd -> (a private copy of it, what it was a copy of)


def _identity(fd: int) -> tuple | None:
    """What `fd` is open on (None: closed)."""
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_rdev)


def _keep_copies(now: dict[int, tuple | None]) -> None:
    for fd, identity in now.items():
        kept = _copies.get(fd)
        if identity is None or (kept and kept[1] == identity):
            continue
        if kept:
            os.close(kept[0])
        _copies[fd] = (os.dup(fd), identity)  # not inherited by what cells start (os.dup's default)


@contextlib.contextmanager
def process_kept(location: Location, say: bool = True) -> Iterator[None]:
    """Around one cell or expression: its standard streams and resource limits given back if it
    changed (lowered) them; then (with `say`) a CellError at `location` says what it did (unless it raised)."""
    before = {fd: _identity(fd) for fd in STREAMS}
    _keep_copies(before)
    limits = {which: resource.getrlimit(which) for which in LIMITS}
    done: list[str] = []
    try:
        yield
    finally:
        done = _restore_streams(before) + _restore_limits(limits)
    unusable = [d for d in done if HARD_LIMIT_LOST in d]
    if unusable:  # deck may not be able to open or write its files any more: the build stops here, said
        raise ProcessUnusable(CellError(f"the cell {'; '.join(unusable)}: the build cannot go on; "
                                        "remove the setrlimit call", location))
    if done and say:
        raise CellError(f"the cell {'; '.join(done)}: deck needs them to write its outputs and messages "
                        "(a cell must leave the process's streams and limits as it found them)", location)


def _restore_streams(before: dict[int, tuple | None]) -> list[str]:
    said = []
    for fd, identity in before.items():
        now = _identity(fd)
        if identity is None or now == identity:
            continue
        os.dup2(_copies[fd][0], fd)
        verb = "closed" if now is None else "replaced"
        said.append(f"{verb} file descriptor {fd} ({STREAMS[fd]}; given back)")
    return said


def _lower(now: int, before: int) -> bool:
    infinity = resource.RLIM_INFINITY
    return now != before and (before == infinity or (now != infinity and now < before))


def _restore_limits(before: dict[int, tuple[int, int]]) -> list[str]:
    """Each limit the cell lowered, set back (a raised one is harmless and left): what was done."""
    said = []
    for which, limit in before.items():
        now = resource.getrlimit(which)
        if not (_lower(now[0], limit[0]) or _lower(now[1], limit[1])):
            continue
        try:
            resource.setrlimit(which, limit)
            back = "given back"
        except (ValueError, OSError):  # a hard limit lowered cannot be raised again without privileges
            resource.setrlimit(which, (now[1], now[1]))
            back = HARD_LIMIT_LOST
        shown = "unlimited" if now[0] == resource.RLIM_INFINITY else f"{now[0]:,}"
        said.append(f"lowered the {LIMITS[which]} to {shown} ({back})")
    return said
