"""Shared fixtures: a throw-away project folder with one deck source.

Nothing a test does may write into the checkout: the cache of every build in the session (the decks
of slides_src/ that the plugin checks included) goes to a temporary folder, and so does Hypothesis's
example database.
"""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

# One session folder for the whole run: made by the first process that loads this file (pytest-xdist's
# controller, or the only process), inherited by the workers through the environment, so that they
# share the cache of the decks the session builds (the flagship built by one worker is a cache hit
# for the other).
# This machine's environment sets PYTHONDONTWRITEBYTECODE: every process of the run (the two workers,
# the builds and pytest runs the tests start) then compiled deck from source and rewrote the tests'
# asserts again, about 5 s of CPU per worker's collection alone. The suite's processes keep their
# bytecode, in the __pycache__ folders git ignores. (Set here, before pytest-xdist starts the workers.)
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

if os.environ.get("DECK_TEST_SESSION_DIR"):
    _SESSION_TMP = Path(os.environ["DECK_TEST_SESSION_DIR"])
else:
    _SESSION_TMP = Path(tempfile.mkdtemp(prefix="deck-tests-"))
    os.environ["DECK_TEST_SESSION_DIR"] = str(_SESSION_TMP)
    atexit.register(shutil.rmtree, _SESSION_TMP, ignore_errors=True)
os.environ["DECK_CACHE_DIR"] = str(_SESSION_TMP / "cache")
# One thread per torch (and each build it starts): the workers already fill the cores, and OpenMP
# threads spinning against each other made a training cell 10 times slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Pretrained weights are never downloaded by the suite (its download tests serve their own file)
os.environ["DECK_OFFLINE"] = "1"

from hypothesis import settings  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: E402

set_hypothesis_home_dir(str(_SESSION_TMP / "hypothesis-home"))
settings.register_profile("deck", database=DirectoryBasedExampleDatabase(str(_SESSION_TMP / "hypothesis")))
settings.load_profile("deck")

from browser import browser  # noqa: F401  (one Chromium for the whole session)
from built_decks import built_flagship, built_small_decks  # noqa: F401  (decks built once for the session)
from runtime_pages import deck_path, page  # noqa: F401  (the runtime fixture deck, opened)


class Project:
    def __init__(self, root: Path):
        self.root = root
        (root / "slides_src").mkdir(parents=True, exist_ok=True)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def deck(self, text: str, name: str = "t") -> Path:
        return self.write(f"slides_src/{name}.md", text)

    def options(self, **kw):
        from deck.pipeline import BuildOptions

        return BuildOptions(project_root=self.root, **kw)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Project:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DECK_CACHE_DIR", str(tmp_path / ".deck_cache"))
    return Project(tmp_path)


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path, monkeypatch):
    """Messages name files relative to the working folder, as a lecturer running deck sees them."""
    monkeypatch.chdir(tmp_path)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """A deck's check (`python -m pytest` on slides_src/) builds the whole lecture: slow. The tests of
    a module sharing a module-scoped fixture (a build of the flagship, say) run on one pytest-xdist
    worker (`--dist loadgroup`): split between two, each worker would make the fixture again."""
    from deck.pytest_plugin import SlideItem

    for item in items:
        if isinstance(item, SlideItem):
            item.add_marker(pytest.mark.slow)
            continue
        info = getattr(item, "_fixtureinfo", None)
        # `-m browser` selects every test that drives Chromium: the marker follows the fixture, so a
        # new test that takes `browser` (or a fixture built on it) is marked without a decorator
        if info is not None and "browser" in info.names_closure and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)
        shared = info is not None and any(
            definition.scope == "module" for name in info.names_closure
            for definition in info.name2fixturedefs.get(name, ()))
        if shared and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    # The slow tests first (their order otherwise kept): handed out early, the two workers finish
    # together, instead of one waiting while the other ends a lecture's build. (This order once made
    # test_pdf_slides fail: a build forked from the worker removed the worker's font files, see
    # pdf._disown_inherited_fonts and test_pdf_fonts_state.py.)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
