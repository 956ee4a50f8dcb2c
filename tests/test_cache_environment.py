"""Environment variables a cell reads are part of its key, like the files and modules it reads."""
from __future__ import annotations

from deck.pipeline import build_deck

FRONT = "---\ntitle: T\n---\n"


def test_a_cell_reading_the_environment_runs_again_when_it_changes(project, monkeypatch):
    source = project.deck(f"{FRONT}# A\n```{{python}}\nimport os\nprint('greeting:', os.environ.get('GREETING'))\n```\n"
                          f"```{{python}}\nprint('after')\n```\n")
    html = project.root / "build" / "t.html"
    monkeypatch.setenv("GREETING", "hello")
    build_deck(source, project.options(pdf=False))
    assert "greeting: hello" in html.read_text(encoding="utf-8")
    monkeypatch.setenv("GREETING", "bonjour")
    report = build_deck(source, project.options(pdf=False, verbose=True))
    assert "greeting: bonjour" in html.read_text(encoding="utf-8")
    assert any("cell 1 ran" in line for line in report.cache_log)
    assert any("cell 2 ran" in line for line in report.cache_log)  # it comes after: its state may differ
    monkeypatch.delenv("GREETING")
    build_deck(source, project.options(pdf=False))
    assert "greeting: None" in html.read_text(encoding="utf-8")


def test_a_cell_not_reading_the_environment_stays_cached(project, monkeypatch):
    source = project.deck(f"{FRONT}# A\n```{{python}}\nprint(1 + 1)\n```\n")
    build_deck(source, project.options(pdf=False))
    monkeypatch.setenv("SOMETHING_ELSE", "x")
    report = build_deck(source, project.options(pdf=False, verbose=True))
    assert any("cell 1 cached" in line for line in report.cache_log)
