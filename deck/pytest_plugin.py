"""pytest plugin: every deck in a `slides_src/` folder becomes tests, one per slide.

Registered through the `pytest11` entry point, so the README's `python -m pytest` checks every
number of every slide. A failure reads exactly as `python build.py --check` prints it.

Each deck is checked in a process of its own, as `python build.py --check` does: a cell that exits
(`os._exit(0)`) or crashes its interpreter fails its slide, and never ends the test run.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# deck's own folder first: the subprocess runs this deck, whichever one is installed
_DECK_HOME = str(Path(__file__).resolve().parents[1])


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
        items = [SlideItem.from_parent(self, name=f"slide-{s.index:02d}", slide=s.index, line=s.location.line)
                 for s in deck.slides]
        items.append(SlideItem.from_parent(self, name="deck", slide=None))
        for item in items:  # with pytest-xdist's --dist loadgroup, one worker checks the deck once
            item.add_marker(pytest.mark.xdist_group(str(self.path)))
        yield from items

    def _project_root(self) -> Path:
        return self.path.parent.parent

    def problems(self):
        """All problems of the deck (computed on first use)."""
        if self._error is not None:
            return [self._error]
        if self._reports is None:
            self._reports = check_deck(self.path, self._project_root())
        return self._reports


class SlideItem(pytest.Item):
    def __init__(self, *, slide: int | None, line: int = 1, **kw):
        super().__init__(**kw)
        self.slide, self.line = slide, line

    def reportinfo(self):
        """What a failure's header names: the slide's test id (`slide-07`; the error under it names the
        file; pytest reads dots in it as `::`),
        at the slide's first line."""
        return self.path, self.line - 1, self.name

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


def check_deck(path: Path, project_root: Path) -> list:
    """The problems `--check` finds in a deck, found in a separate process (under its supervisor)."""
    from deck.errors import DeckError, Location
    from deck.processes.child import Child
    from deck.settings import KEY_ENV, current

    env = {**os.environ, "PYTHONHASHSEED": "0",
           "PYTHONPATH": os.pathsep.join(filter(None, [_DECK_HOME, os.environ.get("PYTHONPATH")]))}
    given = current().cache_key  # taken out of this process's environment: the check must sign with it too
    if given:
        env[KEY_ENV] = given.decode("utf-8")
    with tempfile.TemporaryFile() as stderr:
        child = Child("deck.pytest_plugin:check_in_child", env=env, stderr=stderr)
        try:
            child.channel.send((str(path), str(project_root)))
            return child.channel.recv()
        except (EOFError, OSError):
            child.wait()
            stderr.seek(0)
            detail = stderr.read().decode("utf-8", "replace").strip()
            return [DeckError(f"checking the deck stopped without a result ({child.ended()})",
                              Location(path, 1), detail=detail)]
        finally:
            child.stop()


def check_in_child(channel) -> None:
    """The separate process: check the deck in a watched process (a cell that kills it is named),
    then send its problems back."""
    from deck.pipeline import BuildOptions, build_deck
    from deck.processes.supervisor import run_in_processes

    path, project_root = channel.recv()

    def check(hooks):
        options = BuildOptions(project_root=Path(project_root), check=True, hooks=hooks)
        return build_deck(Path(path), options).problems

    [(kind, value)] = run_in_processes([check], 1)
    channel.send(value if kind == "ok" else [value])
