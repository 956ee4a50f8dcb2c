"""What a cell must leave to the build process: its standard streams and its open-file limit.

Cells run in the build's own process. A cell that closes file descriptors 1 and 2 (or points them
elsewhere) would leave deck unable to print its messages and summary, and one that lowers
RLIMIT_NOFILE unable to open the files it writes: both are given back as they were and the cell
is a located error, instead of a crash of deck after it.
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
    """Around one cell or expression: its standard streams and open-file limit given back if it
    changed them; then (with `say`) a CellError at `location` says what it did (unless it raised)."""
    before = {fd: _identity(fd) for fd in STREAMS}
    _keep_copies(before)
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)
    done: list[str] = []
    try:
        yield
    finally:
        done = _restore_streams(before) + _restore_limit(limit)
    unusable = [d for d in done if HARD_LIMIT_LOST in d]
    if unusable:  # deck cannot open the files it needs any more: the build stops here, said
        raise ProcessUnusable(CellError(f"the cell {'; '.join(unusable)}: the build cannot go on (it cannot "
                                        "open the files it needs); remove the setrlimit call", location))
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


def _restore_limit(limit: tuple[int, int]) -> list[str]:
    now = resource.getrlimit(resource.RLIMIT_NOFILE)
    if now == limit:
        return []
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, limit)
        back = "given back"
    except (ValueError, OSError):  # a hard limit lowered cannot be raised again without privileges
        soft = limit[0] if limit[0] <= now[1] or now[1] == resource.RLIM_INFINITY else now[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, now[1]))
        back = f"only {soft}: {HARD_LIMIT_LOST}" if soft < limit[0] else "given back"
    shown = "unlimited" if now[0] == resource.RLIM_INFINITY else str(now[0])
    return [f"changed the open-file limit (RLIMIT_NOFILE) to {shown} ({back})"]
