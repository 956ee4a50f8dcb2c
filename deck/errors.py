"""One error type for every problem in a lecturer's source, always with a location."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where something comes from: a source file, a 1-based line and the slide it belongs to."""

    path: Path
    line: int
    slide: int | None = None

    def display_path(self) -> str:
        # Relative paths read better and keep absolute paths out of messages and outputs.
        try:
            return str(self.path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(self.path)

    def __str__(self) -> str:
        where = f"{self.display_path()}:{self.line}"
        return f"{where} (slide {self.slide})" if self.slide else where

    def source_line(self) -> str | None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        if 1 <= self.line <= len(lines):
            return lines[self.line - 1]
        return None


class DeckError(Exception):
    """A problem in the lecturer's input. The CLI prints it without a traceback and exits 2."""

    def __init__(self, message: str, location: Location | None = None, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.location = location
        self.detail = detail

    def __reduce__(self):  # keep the location when sent between processes (parallel builds)
        return (self.__class__, (self.message, self.location, self.detail))

    def with_slide(self, slide: int) -> "DeckError":
        if self.location and self.location.slide is None:
            self.location = Location(self.location.path, self.location.line, slide)
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


class ClaimError(DeckError):
    """A number written on a slide that is not what the code computes (exit code 1 in check mode).

    `written` and `true` are kept so that `--fix` can put the true value where the false one is.
    """

    def __init__(self, message: str, location: Location | None = None, detail: str = "",
                 written: str | None = None, true: str | None = None):
        super().__init__(message, location, detail)
        self.written = written
        self.true = true

    def __reduce__(self):
        return (self.__class__, (self.message, self.location, self.detail, self.written, self.true))


class OverflowProblem(ClaimError):
    """A slide whose content does not fit its 16:9 page (invisible to the audience)."""
