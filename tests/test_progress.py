"""The terminal progress display: bars on a terminal, nothing but the summary anywhere else."""
from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers_for_tests import BUILD, ROOT

from deck.cli import progress
from deck.cli.progress import TerminalProgress, deck_line, for_terminal, interactive

ESC = "\x1b"
# a plain `python build.py` builds the course: the deck's four files and the index page
SUMMARY = re.compile(r"built 1 deck: 3 slides, 4 pages, 2 cells in \d+\.\d s\n  -> build/t\.html\n  -> build/t\.pdf\n"
                     r"  -> build/t-handout\.pdf\n  -> build/t-student\.pdf\n  -> build/t\.ipynb\n"
                     r"  -> build/t-student\.ipynb\n  -> build/t\.pptx\n  -> build/index\.html\n")

DECK = """---
title: Progress
lang: en
---
# One

```{python}
x = 2
```

. . .

Later.

---

# Two

```{python}
x * 21
```
"""


class Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("out_tty, err_tty, env, expected", [
    (True, True, {"TERM": "xterm"}, True),
    (True, True, {}, True),
    (False, True, {}, False),                      # stdout piped or redirected
    (True, False, {}, False),                      # stderr captured
    (True, True, {"NO_COLOR": "1"}, False),
    (True, True, {"NO_COLOR": ""}, False),         # NO_COLOR set, whatever its value
    (True, True, {"TERM": "dumb"}, False),
])
def test_interactive_only_with_two_terminals_and_no_NO_COLOR(out_tty, err_tty, env, expected):
    assert interactive(Stream(out_tty), Stream(err_tty), env) is expected


def test_for_terminal_is_none_under_NO_COLOR(monkeypatch):
    monkeypatch.setattr(sys, "stdout", Stream(True))
    monkeypatch.setattr(sys, "stderr", Stream(True))
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert isinstance(for_terminal(), TerminalProgress)
    monkeypatch.setenv("NO_COLOR", "1")
    assert for_terminal() is None


def report(**kw):
    return SimpleNamespace(**{"name": "t", "slides": 3, "pages": 4, "cells": 2, "seconds": 0.52, **kw})


def test_events_draw_bars_then_a_line_per_deck():
    out = io.StringIO()
    with TerminalProgress(out, force_terminal=True, width=100) as display:
        display.on_progress("deck", name="t", cells=2)
        display.on_progress("cell", index=1, total=2)
        assert display._progress.tasks[0].completed == 1
        assert display._progress.tasks[0].description == "t: cell 1/2"
        display.on_progress("cell", index=2, total=2)
        display.on_progress("render")
        assert display._progress.tasks[0].description == "t: rendering"
        display.on_progress("pdf", pages=4)
        assert display._progress.tasks[-1].description == "t: PDF, 4 pages"
        display.on_progress("done", report=report())
        display.on_progress("unknown-event", whatever=1)  # future events are ignored
    text = out.getvalue()
    assert ESC in text  # drawn for a terminal
    assert "✓" in text and "t: 3 slides, 4 pages, 2 cells in 0.5 s" in text
    assert display._progress is None  # the live display stopped


def test_deck_without_cells():
    out = io.StringIO()
    with TerminalProgress(out, force_terminal=True) as display:
        display.on_progress("deck", name="empty", cells=0)
        display.on_progress("render")
        display.on_progress("done", report=report(name="empty", cells=0))
    assert "empty: 3 slides, 4 pages, 0 cells" in out.getvalue()


def test_deck_line():
    assert deck_line(report(seconds=12.345)) == "t: 3 slides, 4 pages, 2 cells in 12.3 s"


@pytest.fixture
def deck_project(tmp_path):
    (tmp_path / "slides_src").mkdir()
    (tmp_path / "slides_src" / "t.md").write_text(DECK, encoding="utf-8")
    return tmp_path


@pytest.mark.slow
def test_piped_output_is_only_the_summary(deck_project):
    env = dict(os.environ, DECK_CACHE_DIR=str(deck_project / ".deck_cache"), TERM="xterm")
    env.pop("NO_COLOR", None)
    r = subprocess.run(BUILD, cwd=deck_project, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert SUMMARY.fullmatch(r.stdout), r.stdout
    assert r.stderr == ""
    assert ESC not in r.stdout + r.stderr


def run_in_terminal(cwd: Path, env: dict, timeout: float = 120) -> tuple[int, str]:
    """Run the build with stdout and stderr on a pseudo-terminal; (exit status, everything it wrote)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(BUILD, cwd=cwd, env=env, stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # the terminal closed: the build ended
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        status = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
    return status, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.mark.slow
def test_terminal_shows_progress_and_NO_COLOR_turns_it_off(deck_project):
    env = dict(os.environ, DECK_CACHE_DIR=str(deck_project / ".deck_cache"), TERM="xterm-256color",
               COLUMNS="100")
    env.pop("NO_COLOR", None)
    status, text = run_in_terminal(deck_project, env)
    assert status == 0, text
    assert ESC in text  # bars and colours
    assert "✓" in text and re.search(r"t: 3 slides, 4 pages, 2 cells in \d+\.\d s", text)
    assert SUMMARY.search(text)  # the plain summary still ends the output

    status, plain = run_in_terminal(deck_project, dict(env, NO_COLOR="1"))
    assert status == 0, plain
    assert ESC not in plain and "✓" not in plain
    assert SUMMARY.fullmatch(plain), plain


def test_progress_module_imports_no_rich_until_used():
    code = "import sys, deck.cli.progress; print('rich' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False"
    assert progress.__name__ == "deck.cli.progress"
