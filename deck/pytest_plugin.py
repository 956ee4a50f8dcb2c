"""pytest plugin: every deck in a `slides_src/` folder becomes tests, one per slide.

Registered through the `pytest11` entry point, so the README's `python -m pytest` checks every
number of every slide. A failure reads exactly as `python build.py --check` prints it.
"""
from __future__ import annotations

from pathlib import Path

import pytest


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".md" and file_path.parent.name == "slides_src" and not file_path.name.startswith(("_", ".")):
        return DeckFile.from_parent(parent, path=file_path)
    return None


class DeckFile(pytest.File):
    """One deck source; its check runs once and its problems are shared out to slide items."""

    _reports = None
    _error = None

    def collect(self):
        from deck.errors import DeckError
        from deck.source import parse_file

        try:
            deck = parse_file(self.path, self._project_root())
        except DeckError as err:
            self._error = err
            yield SlideItem.from_parent(self, name="source", slide=None)
            return
        for slide in deck.slides:
            name = f"slide-{slide.index:02d}"
            yield SlideItem.from_parent(self, name=name, slide=slide.index)
        yield SlideItem.from_parent(self, name="deck", slide=None)

    def _project_root(self) -> Path:
        return self.path.parent.parent

    def problems(self):
        """All problems of the deck (computed on first use)."""
        if self._error is not None:
            return [self._error]
        if self._reports is None:
            from deck.errors import DeckError
            from deck.pipeline import BuildOptions, build_deck

            options = BuildOptions(project_root=self._project_root(), check=True)
            try:
                self._reports = build_deck(self.path, options).problems
            except DeckError as err:
                self._reports = [err]
        return self._reports


class SlideItem(pytest.Item):
    def __init__(self, *, slide: int | None, **kw):
        super().__init__(**kw)
        self.slide = slide

    def runtest(self):
        mine = [p for p in self.parent.problems() if self._owns(p)]
        if mine:
            raise DeckCheckFailure(mine)

    def _owns(self, problem) -> bool:
        slide = problem.location.slide if problem.location else None
        if self.name == "source":
            return True
        if self.slide is None:
            return slide is None
        return slide == self.slide

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, DeckCheckFailure):
            return "\n".join(f"error: {p}" for p in excinfo.value.problems)
        return super().repr_failure(excinfo)


class DeckCheckFailure(Exception):
    def __init__(self, problems):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems
