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
