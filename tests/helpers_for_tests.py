"""What the tests share: the checkout's root, the build command, parse+execute a source, render it."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from deck.execute import execute
from deck.source import parse
from deck.render.documents import html_document, print_document, render_slides

FRONT = "---\ntitle: Test\nlang: {lang}\n---\n"

ROOT = Path(__file__).resolve().parents[1]   # the checkout
BUILD = [sys.executable, str(ROOT / "build.py")]  # the README's command


def run_build(project, *args, env=None, timeout=120) -> subprocess.CompletedProcess:
    """`python build.py ARGS` in the project's folder, as a lecturer runs it (its own processes)."""
    return subprocess.run(BUILD + list(args), cwd=project.root, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def run(source: str, tmp_path: Path, lang: str = "en", check: bool = False, name: str = "t.md"):
    """Parse and execute `source` (front matter added) as slides_src/<name> under tmp_path."""
    path = tmp_path / "slides_src" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = FRONT.format(lang=lang) + textwrap.dedent(source).lstrip("\n")
    path.write_text(text, encoding="utf-8")
    deck = parse(text, path, tmp_path)
    problems = execute(deck, collect_errors=check)
    return deck, problems


def html(source: str, tmp_path: Path, lang: str = "en") -> str:
    deck, problems = run(source, tmp_path, lang)
    assert not problems.items, problems.items
    return html_document(deck, render_slides(deck, tmp_path))


def printed(source: str, tmp_path: Path, lang: str = "en", handout: bool = False) -> str:
    deck, problems = run(source, tmp_path, lang)
    assert not problems.items, problems.items
    return print_document(deck, render_slides(deck, tmp_path), handout)
