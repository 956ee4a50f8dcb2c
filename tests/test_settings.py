"""Settings are read from the environment once, at the edge, and reach the build as a value: the
code cells call sees the build's settings, not the process's environment."""
import os

import pytest

from deck.pipeline import BuildOptions, build_deck
from deck.settings import Settings, current

DECK = """---
title: T
lang: en
---

# Offline?

```{python}
from figures import weights
```

Offline: `{py} weights.offline() => %s`; cache: `{py} str(__import__("deck.shared.files").shared.files.cache_root()) => %s`.
"""


@pytest.mark.parametrize("offline", [True, False])
def test_the_build_settings_reach_code_called_from_cells(project, offline):
    cache = project.root / "elsewhere"
    project.deck(DECK % (offline, cache))
    settings = Settings(offline=offline, cache_dir=cache)
    report = build_deck(project.root / "slides_src/t.md",
                        BuildOptions(project_root=project.root, check=True, layout=False, settings=settings))
    assert not report.problems, report.problems
    assert report.claims == 2
    assert current() != settings  # only while the deck was built


def test_read_from_the_environment_at_the_edge(tmp_path):
    env = {"DECK_OFFLINE": "1", "DECK_CACHE_DIR": str(tmp_path), "SOURCE_DATE_EPOCH": "86400"}
    s = Settings.from_environment(env)
    assert (s.offline, s.cache_dir, s.source_date_epoch) == (True, tmp_path.resolve(), "86400")
    assert not Settings.from_environment({"DECK_OFFLINE": "0"}).offline
    assert Settings().cache_root(tmp_path) == tmp_path.resolve() / ".deck_cache"


def test_offline_flag_leaves_the_environment_alone(project, monkeypatch):
    from deck.cli.main import main

    monkeypatch.delenv("DECK_OFFLINE", raising=False)
    project.deck("---\ntitle: T\nlang: en\n---\n\n# A\n\n`{py} 1 + 1 => 2`\n")
    assert main(["--check", "--no-layout", "--offline", "--root", str(project.root)]) == 0
    assert "DECK_OFFLINE" not in os.environ


def test_the_cache_key_is_a_setting_read_once_and_never_shown(monkeypatch):
    import deck.settings as settings_module

    monkeypatch.setattr(settings_module, "_taken_key", None)
    monkeypatch.setenv("DECK_CACHE_KEY", "k3y-from-ci")
    first = Settings.from_environment()
    assert first.cache_key == b"k3y-from-ci"
    assert "DECK_CACHE_KEY" not in os.environ  # cells (and their subprocesses) never see it
    assert "k3y-from-ci" not in repr(first)
    assert Settings.from_environment().cache_key == b"k3y-from-ci"  # later reads in this process agree
    assert Settings.from_environment({}).cache_key is None  # an environment given as a value is only read


def test_entries_are_signed_with_the_builds_key(tmp_path):
    from deck.settings import building
    from deck.shared.store import Store

    with building(Settings(cache_key=b"one")):
        Store(tmp_path).put("items", "ab" * 32, b"payload")
        assert Store(tmp_path).get("items", "ab" * 32) == b"payload"
    with building(Settings(cache_key=b"another")):
        assert Store(tmp_path).get("items", "ab" * 32) is None  # not a holder of the key that wrote it


def test_a_build_reports_only_the_entries_it_refused(project, tmp_path):
    """An entry refused outside a build (or by the build before, in --watch's long-lived worker) is
    not said by the next build, whose cache holds nothing foreign."""
    from deck.settings import building
    from deck.shared.store import Store

    with building(Settings(cache_key=b"one")):
        Store(tmp_path / "other").put("items", "cd" * 32, b"payload")
    with building(Settings(cache_key=b"another")):
        assert Store(tmp_path / "other").get("items", "cd" * 32) is None  # refused, recorded
    project.deck("---\ntitle: T\n---\n# A\n```{python}\nx = 1\n```\n")
    from deck.pipeline import build

    [report] = build(BuildOptions(project_root=project.root, pdf=False, decks=["t"]))
    assert not [w for w in report.warnings if "not signed" in w], report.warnings
