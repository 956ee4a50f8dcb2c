"""A cached build equals a fresh run: after any one-cell edit, building with the cache gives the same
HTML bytes as `--no-cache` on the same source.

The cached build re-runs the edited cell and the ones after it, in a namespace and a process restored
from snapshots; any difference from a fresh run (a lost setting, a copied object, a shifted random
generator, a stale module) shows as different bytes.

Every cell is edited in turn on the decks made for it (tests/fixtures: process state, claims in both
languages, a training run in small with SGD's momentum and Adam's moments, a scheduler, BatchNorm's
statistics, Dropout drawing from the global generator, a generator of its own, figures), which run in
seconds. The course decks get one edit each, of their last live cell, so that the snapshot restored
is the one their whole run made; recap3 apart: its fresh run is a real training run (20 s here, a
minute under load), and the state it leaves is the kinds training_en.md holds in small.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers_for_tests import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
# the lectures but the one that trains a network (see above: training_en.md holds its state in small)
COURSE = sorted(p for p in (ROOT / "slides_src").glob("*.md")
                if not p.name.startswith("_") and p.stem != "recap3")
MADE_FOR_IT = [FIXTURES / f"{name}.md" for name in ("claims_en", "claims_fr", "state_en", "training_en")]
LIVE = re.compile(r"^```\{python\}[^\n]*\n(.*?)^```", re.S | re.M)


def project_for(deck: Path, tmp_path: Path) -> Path:
    """A project holding the deck with what it reads: snippets, the state fixture's folders."""
    root = tmp_path / "project"
    (root / "slides_src").mkdir(parents=True)
    shutil.copy(deck, root / "slides_src" / deck.name)
    if deck.parent == ROOT / "slides_src":
        for sub in deck.parent.iterdir():
            if sub.is_dir():
                shutil.copytree(sub, root / "slides_src" / sub.name)
    if deck.stem == "state_en":
        shutil.copytree(FIXTURES / "state_src", root, dirs_exist_ok=True)
    return root


def edits(text: str) -> list[str]:
    """The source with one live cell edited (a line added at its end), for each live cell."""
    out = []
    for k, m in enumerate(LIVE.finditer(text)):
        body = m.group(1)
        if "#| eval: false" in body:
            continue
        line = f">>> _edited_{k} = {k}\n" if ">>>" in body else f"_edited_{k} = {k}\n"
        out.append(text[:m.end(1)] + line + text[m.end(1):])
    return out


def html_of(root: Path, deck: Path, cache: bool) -> bytes:
    from deck.pipeline import BuildOptions, build_deck

    report = build_deck(root / "slides_src" / deck.name,
                        BuildOptions(project_root=root, pdf=False, cache=cache, check=False))
    assert not report.problems, [str(p) for p in report.problems]
    return (root / "build" / f"{deck.stem}.html").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("deck", MADE_FOR_IT, ids=lambda p: p.name)
def test_cached_build_after_any_one_cell_edit_equals_a_fresh_run(deck, tmp_path, monkeypatch):
    assert_cached_equals_fresh(deck, tmp_path, monkeypatch, every_cell=True)


@pytest.mark.slow
@pytest.mark.parametrize("deck", COURSE, ids=lambda p: p.name)
def test_cached_build_after_an_edit_of_the_last_cell_equals_a_fresh_run(deck, tmp_path, monkeypatch):
    assert_cached_equals_fresh(deck, tmp_path, monkeypatch, every_cell=False)


def assert_cached_equals_fresh(deck: Path, tmp_path: Path, monkeypatch, every_cell: bool) -> None:
    from deck.execute.cached import CachedExecution

    # A snapshot after every cell (deck takes them after costly cells only): every edit then restores
    # one, so any state a snapshot loses shows, even in decks whose cells are all quick
    monkeypatch.setattr(CachedExecution, "SNAPSHOT_AFTER_SECONDS", 0.0)
    root = project_for(deck, tmp_path)
    monkeypatch.chdir(root)
    # The decks made for it get a cache of their own, filled with a snapshot after every cell; a
    # course deck edits its last cell in the session's cache, as a lecturer's is after the lecture
    # was built (the other tests of the session built it): its last snapshot, after the training,
    # is what the cached build restores.
    if every_cell:
        monkeypatch.setenv("DECK_CACHE_DIR", str(tmp_path / "cache"))
    source = root / "slides_src" / deck.name
    original = source.read_text(encoding="utf-8")
    variants = edits(original)
    assert variants, "the deck has live cells"
    if not every_cell:
        variants = variants[-1:]
    html_of(root, deck, cache=True)  # the cache as a lecturer has it: full of the unedited deck
    for k, text in enumerate(variants):
        source.write_text(text, encoding="utf-8")
        cached = html_of(root, deck, cache=True)
        fresh = html_of(root, deck, cache=False)
        assert cached == fresh, f"edit of live cell {k + 1}: the cached build differs from a fresh run"
        source.write_text(original, encoding="utf-8")
        if k + 1 < len(variants):
            html_of(root, deck, cache=True)  # back to the unedited deck (its entries were refreshed)
