"""The per-cell cache: every invalidation rule, prose edits, damaged entries, concurrent builds."""
from __future__ import annotations

import subprocess
import sys

import pytest
from helpers_for_tests import ROOT

from deck.pipeline import build_deck

SOURCE = """---
title: T
lang: en
---
# One
```{python}
#| output: comment
import time, torch
time.sleep(0.3)  # an expensive cell: it is snapshotted, never re-run for a later edit
_ = torch.manual_seed(0)
a = torch.randn(3)
base = 40
base
```
Prose: base is `{py} base`.
---
# Two
```{python}
#| output: comment
b = torch.randn(2)
total = base + 2
total
```
Then `{py} total * 10`.
---
# Three
```{python}
#| output: comment
total + 1
```
"""


def build(project, snapshots_intact=True, **kw):
    path = project.root / "slides_src" / "t.md"
    report = build_deck(path, project.options(verbose=True, html=False, pdf=False, **kw))
    assert not report.problems, [str(p) for p in report.problems]
    ran = [int(line.split("cell ")[1].split()[0]) for line in report.cache_log if " ran:" in line]
    rebuilt = [int(line.split("cell ")[1].split()[0]) for line in report.cache_log if "re-run to rebuild" in line]
    assert not snapshots_intact or 1 not in rebuilt, "the expensive first cell was re-run instead of restored from its snapshot"
    return report, ran


def displays(report):
    return [c.display for c in report.deck.cells]


def texts(report):
    return [e.text for s in report.deck.slides for e in s.exprs]


@pytest.fixture
def deck(project):
    project.deck(SOURCE)
    return project


def edit(project, old, new):
    path = project.root / "slides_src" / "t.md"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_cold_build_runs_everything_then_nothing(deck):
    _, ran = build(deck)
    assert ran == [1, 2, 3]
    report, ran = build(deck)
    assert ran == []
    assert displays(report)[2] == "total + 1  # 43"


def test_prose_edit_runs_no_cell(deck):
    build(deck)
    edit(deck, "Prose: base is", "Prose, edited: base is")
    report, ran = build(deck)
    assert ran == []
    assert texts(report) == ["40", "420"]


def test_code_edit_runs_that_cell_and_later_ones(deck):
    cold, _ = build(deck)
    edit(deck, "total = base + 2", "total = base + 3")
    report, ran = build(deck)
    assert ran == [2, 3]
    assert displays(report)[2] == "total + 1  # 44"   # a stale cache would still say 43
    assert texts(report) == ["40", "430"]


def test_earlier_cell_edit_invalidates_later_cells(deck):
    build(deck)
    edit(deck, "base = 40", "base = 50")
    report, ran = build(deck)
    assert ran == [1, 2, 3]
    assert displays(report)[2] == "total + 1  # 53"
    assert texts(report) == ["50", "520"]


def test_option_edit_invalidates(deck):
    build(deck)
    edit(deck, "#| output: comment\ntotal + 1", "#| output: below\ntotal + 1")
    report, ran = build(deck)
    assert ran == [3]


def test_restored_namespace_and_random_state_match_a_cold_run(project):
    # Cell 2 draws random numbers after cell 1 seeded the generator: re-running cell 2 alone
    # must give the same numbers as a full run, so the snapshot carries the random state.
    project.deck(SOURCE.replace("total = base + 2\ntotal", "total = base + 2\nb.tolist()"))
    cold, _ = build(project, cache=False)
    build(project)
    edit(project, "total = base + 2", "total = base + 2  # same value")
    report, ran = build(project)
    assert ran == [2, 3]
    assert "[" in report.deck.cells[1].display
    assert report.deck.cells[1].display.replace("  # same value", "") == cold.deck.cells[1].display


def test_expression_edit_reevaluates_it_alone(deck):
    build(deck)
    edit(deck, "`{py} total * 10`", "`{py} total * 100`")
    report, ran = build(deck)
    assert ran == []
    assert texts(report) == ["40", "4200"]  # no grouping below 10 000


def test_included_file_change_invalidates(project):
    project.write("slides_src/part.md", "Included text one.\n")
    project.deck(SOURCE.replace("# Three", '# Three\n{% include "part.md" %}'))
    build(project)
    project.write("slides_src/part.md", "Included text two.\n")
    report, ran = build(project)
    assert ran == [1, 2, 3]
    assert any("included files" in line for line in report.cache_log)


def test_versions_change_invalidates(deck, monkeypatch):
    from deck.execute import cache

    build(deck)
    cache.environment_key.cache_clear()
    monkeypatch.setattr(cache, "environment_key", lambda: "torch=99.0")
    _, ran = build(deck)
    assert ran == [1, 2, 3]


def test_language_change_invalidates(deck):
    build(deck)
    edit(deck, "lang: en", "lang: fr")
    _, ran = build(deck)
    assert ran == [1, 2, 3]


def test_no_cache_runs_everything(deck):
    build(deck)
    report = build_deck(deck.root / "slides_src" / "t.md", deck.options(cache=False, html=False, pdf=False))
    assert report.cache_log == [] and displays(report)[2] == "total + 1  # 43"


def test_corrupt_and_foreign_entries_are_recomputed(deck):
    build(deck)
    items = sorted((deck.root / ".deck_cache" / "items").rglob("*.json"))
    assert len(items) >= 5
    contents = [p.read_text() for p in items]
    for i, path in enumerate(items):  # every entry damaged: half unreadable, half foreign
        path.write_text("{ not json" if i % 2 else contents[(i + 1) % len(items)])
    for snap in (deck.root / ".deck_cache" / "ns").rglob("*.json"):
        snap.write_bytes(b"\x00garbage")
    for blob in (deck.root / ".deck_cache" / "blobs").rglob("*.pkl"):
        blob.write_bytes(b"not a pickle")
    report, ran = build(deck, snapshots_intact=False)
    assert ran == [1, 2, 3]
    assert displays(report)[2] == "total + 1  # 43" and texts(report) == ["40", "420"]
    _, ran = build(deck)
    assert ran == []


@pytest.mark.slow
def test_two_builds_at_once(deck):
    cmd = [sys.executable, str(ROOT / "build.py"), "--html-only"]
    procs = [subprocess.Popen(cmd + ["-o", f"out{i}"], cwd=deck.root, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    html = [(deck.root / f"out{i}" / "t.html").read_text() for i in range(2)]
    assert html[0] == html[1] and '<span class="c1">43</span></span>' in html[0]
    _, ran = build(deck)
    assert ran == []


def test_cached_locations_follow_a_prose_edit_above(project):
    project.deck(SOURCE.replace("total + 1\n```", "total + 1   # 44\nimport warnings; warnings.warn('careful')\n```"))
    path = project.root / "slides_src" / "t.md"
    report = build_deck(path, project.options(html=False, pdf=False))
    [problem] = report.problems
    line = problem.location.line
    assert problem.location.slide == 4 and report.warnings[0].startswith(f"slides_src/t.md:{line + 1} (slide 4)")
    path.write_text(path.read_text().replace("# One\n", "# One\n\nA new paragraph\non two lines.\n"))
    report = build_deck(path, project.options(html=False, pdf=False, verbose=True))
    assert not any(" ran:" in l for l in report.cache_log)
    [problem] = report.problems
    assert problem.location.line == line + 3 and problem.location.slide == 4
    assert report.warnings[0].startswith(f"slides_src/t.md:{line + 4} (slide 4): careful")
    assert str(problem).splitlines()[1].endswith("total + 1   # 44")


@pytest.mark.parametrize("module", ["claims/compare.py", "render/html.py", "shared/locale.py", "execute/runner.py"])
def test_environment_key_sees_every_sub_package(tmp_path, monkeypatch, module):
    # a change to any module of deck, in any sub-package, may change a result: it must change the key
    import shutil

    from deck.execute import cache

    for package in ("deck", "figures"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE", tmp_path / "deck")
    cache.environment_key.cache_clear()
    before = cache.environment_key()
    with open(tmp_path / "deck" / module, "a", encoding="utf-8") as f:
        f.write("\n# changed\n")
    cache.environment_key.cache_clear()
    try:
        assert cache.environment_key() != before
    finally:
        cache.environment_key.cache_clear()
