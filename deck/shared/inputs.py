"""What code run by a cell tells the cache about the cell's result: the files it read (a checkpoint,
present or not) and results that must not be kept (a download that failed may work next time).

`figures/` notes the weights files it looks for; the executor gives each cell a fresh record, and the
cache keeps a cell's result only with the state of those files, reusing it only while they are the
same, and never keeps a result marked volatile.
"""
from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class CellInputs:
    files: set[Path] = field(default_factory=set)
    volatile: list[str] = field(default_factory=list)  # why the result must not be cached


_current: contextvars.ContextVar[CellInputs | None] = contextvars.ContextVar("deck_cell_inputs", default=None)


def note_input(path) -> None:
    """The running cell's result depends on this file (its content, or that it is missing)."""
    inputs = _current.get()
    if inputs is not None:
        inputs.files.add(Path(path).resolve())


def note_volatile(reason: str) -> None:
    """The running cell's result must not be reused by a later build."""
    inputs = _current.get()
    if inputs is not None:
        inputs.volatile.append(reason)


@contextlib.contextmanager
def recording():
    """A fresh record for one cell, yielded; the previous one (if any) back afterwards."""
    inputs = CellInputs()
    token = _current.set(inputs)
    try:
        yield inputs
    finally:
        _current.reset(token)
