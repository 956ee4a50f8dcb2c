"""Progress display for long builds (cells, figures, PDF pages), drawn with `rich` on a terminal.

`TerminalProgress` is a build observer (deck.observe) that hears `on_progress(event, **info)`.
It draws only where a person watches: both stdout and stderr are terminals and `NO_COLOR` is unset
(and `TERM` is not `dumb`). Anywhere else (a pipe, a CI log, a test) `for_terminal()` returns None
and the command prints nothing but its usual lines and summary, without colours or escape codes.
"""
from __future__ import annotations

import os
import sys
from typing import IO

from ..observe import BuildObserver


def interactive(stdout: IO | None = None, stderr: IO | None = None, environ=None) -> bool:
    """True when bars and colours are welcome: two terminals, no NO_COLOR, not a dumb terminal."""
    environ = os.environ if environ is None else environ
    if "NO_COLOR" in environ or environ.get("TERM") == "dumb":
        return False
    for stream in (stdout or sys.stdout, stderr or sys.stderr):
        try:
            if not stream.isatty():
                return False
        except (AttributeError, ValueError):  # closed or unusual streams
            return False
    return True


def for_terminal(stream: IO | None = None) -> TerminalProgress | None:
    """A progress display on stderr when the session is interactive, else None (print nothing)."""
    if not interactive():
        return None
    return TerminalProgress(stream or sys.stderr)


class TerminalProgress(BuildObserver):
    """The build's progress (`on_progress(event, **info)`): one bar per deck while it builds, a line
    when it is done.

    Use as a context manager around the build, so the live display always stops (also on errors):

        with TerminalProgress(sys.stderr) as progress:
            build(BuildOptions(..., hooks=[progress]))
    """

    def __init__(self, stream: IO | None = None, *, force_terminal: bool | None = None,
                 color: bool = True, width: int | None = None):
        from rich.console import Console

        self.console = Console(file=stream or sys.stderr, force_terminal=force_terminal,
                               no_color=not color, highlight=False, width=width)
        self._progress = None
        self._task = None
        self._name = ""

    # --- the live display ---------------------------------------------------------------------
    def _bars(self):
        if self._progress is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(),
                                      console=self.console, transient=True)
            self._progress.start()
        return self._progress

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress, self._task = None, None

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- events -------------------------------------------------------------------------------
    def on_progress(self, event: str, **info) -> None:
        handler = getattr(self, f"on_{event}", None)
        if handler is not None:
            handler(**info)

    def on_deck(self, name: str = "", cells: int = 0, **_) -> None:
        bars = self._bars()
        if self._task is not None:
            bars.remove_task(self._task)
        self._name = name
        self._task = bars.add_task(f"{name}: cells", total=max(cells, 1), completed=0 if cells else 1)

    def on_cell(self, index: int = 0, total: int = 0, **_) -> None:
        if self._task is not None:
            self._bars().update(self._task, completed=index, total=max(total, 1),
                                description=f"{self._name}: cell {index}/{total}")

    def on_render(self, **_) -> None:
        if self._task is not None:
            self._bars().update(self._task, description=f"{self._name}: rendering")

    def on_pdf(self, pages: int = 0, **_) -> None:
        if self._task is not None:
            bars = self._bars()
            bars.remove_task(self._task)
            # WeasyPrint lays the whole document out at once: a pulsing bar, with the page count.
            self._task = bars.add_task(f"{self._name}: PDF, {pages} page{'s' * (pages != 1)}", total=None)

    def on_done(self, report=None, **_) -> None:
        if self._task is not None and self._progress is not None:
            self._progress.remove_task(self._task)
            self._progress.refresh()  # so the line below is not followed by a stale frame
            self._task = None
        if report is not None:
            self.console.print(f"[green]✓[/green] {deck_line(report)}")


def deck_line(report) -> str:
    """`name: 13 slides, 17 pages, 16 cells in 4.8 s` for a DeckReport (or anything shaped like one)."""
    return (f"{report.name}: {report.slides} slides, {report.pages} pages, {report.cells} cells "
            f"in {report.seconds:.1f} s")
