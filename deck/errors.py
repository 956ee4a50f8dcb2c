"""Every problem deck reports, with where it comes from, its exit code and its JSON form.

One hierarchy: a problem in the source (front matter, Jinja, Markdown, options, images, math), in a
cell (it raised, ran too long, killed its process), a false claim, a slide that does not fit its
page. The CLI prints any of them without a traceback; any other exception is deck's own bug.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .shared.files import display_path, read_regular

EXIT_OK, EXIT_FALSE, EXIT_ERROR = 0, 1, 2  # all true; a false claim or an overflow; anything else


@dataclass(frozen=True)
class Location:
    """Where something comes from: a source file, a 1-based line and the slide it belongs to."""

    path: Path
    line: int
    slide: int | None = None

    def display_path(self) -> str:
        return display_path(self.path)  # relative paths read better and keep absolute paths out

    def __str__(self) -> str:
        where = f"{self.display_path()}:{self.line}"
        return f"{where} (slide {self.slide})" if self.slide else where

    def on_slide(self, slide: int | None) -> Location:
        return Location(self.path, self.line, slide)

    def source_line(self) -> str | None:
        try:  # a regular file only: the line of an error about a FIFO must not wait on it
            lines = read_regular(self.path).decode("utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        if 1 <= self.line <= len(lines):
            return lines[self.line - 1]
        return None


class DeckError(Exception):
    """A problem in the lecturer's input, printed with its location (the base of all of them)."""

    kind = "error"
    exit_code = EXIT_ERROR

    def __init__(self, message: str, location: Location | None = None, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.location = location
        self.detail = detail

    def __reduce__(self):  # keep the location when sent between processes (parallel builds)
        return (self.__class__, self._args())

    def _args(self) -> tuple:
        return (self.message, self.location, self.detail)

    def with_slide(self, slide: int) -> DeckError:
        if self.location and self.location.slide is None:
            self.location = self.location.on_slide(slide)
        return self

    def __str__(self) -> str:
        parts = []
        head = f"{self.location}: " if self.location else ""
        parts.append(f"{head}{self.message}")
        if self.location:
            src = self.location.source_line()
            if src is not None:
                parts.append(f"    {self.location.line} | {src}")
        if self.detail:
            parts.append(self.detail.rstrip())
        return "\n".join(parts)

    def record(self) -> dict:
        """The JSON form of the problem, as `--format json` prints it."""
        loc = self.location
        return {"file": loc.display_path() if loc else None, "line": loc.line if loc else None,
                "slide": loc.slide if loc else None, "kind": self.kind, "message": self.message,
                "written": getattr(self, "written", None), "true": getattr(self, "true", None)}


class UsageError(DeckError):
    """The command line asks for something that does not exist (no such deck, no decks at all)."""

    kind = "usage"


class SourceError(DeckError):
    """The source cannot be read as a deck: front matter, Jinja, Markdown, options, images, math."""

    kind = "source"


class CellError(DeckError):
    """A live cell or inline expression failed: it raised, ran past its time limit, or crashed."""

    kind = "cell"


class ClaimError(DeckError):
    """A value written on a slide that is not what the code computes.

    `written` and `true` are kept so that `--fix` can put the true value where the false one is.
    """

    kind = "claim"
    exit_code = EXIT_FALSE

    def __init__(self, message: str, location: Location | None = None, detail: str = "",
                 written: str | None = None, true: str | None = None):
        super().__init__(message, location, detail)
        self.written = written
        self.true = true

    def _args(self) -> tuple:
        return (self.message, self.location, self.detail, self.written, self.true)


class LayoutProblem(DeckError):
    """A slide whose content does not fit its 16:9 page (clipped, so invisible to the audience)."""

    kind = "layout"
    exit_code = EXIT_FALSE


KINDS: dict[str, type[DeckError]] = {c.kind: c for c in (DeckError, UsageError, SourceError, CellError,
                                                         ClaimError, LayoutProblem)}


def exit_status(problems) -> int:
    """The exit code for a list of problems: the worst of theirs (0 when there are none)."""
    return max((p.exit_code for p in problems), default=EXIT_OK)
