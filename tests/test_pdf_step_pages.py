"""A slide of two steps that is too long for its page: its first step's page holds the later step's
content, hidden, to keep its place; that content must not spill onto a page of its own (a blank page
but for the slide's number, between the two steps). The last step still spills, and the layout check
still reports the slide."""
from __future__ import annotations

import subprocess
import textwrap

import pytest

from deck.pipeline import BuildOptions, build_deck

pytestmark = pytest.mark.slow

DECK = """
---
title: Long
lang: fr
---
# Trop long

- un
- deux
- trois
- quatre
- cinq
- six

. . .

- sept
- huit
- neuf
- dix
- onze
- douze

---

# Après

Fin.
"""


def _pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [page.strip() for page in text.split("\f")][:-1]


def test_no_blank_page_between_the_steps_of_a_slide_too_long(tmp_path):
    source = tmp_path / "slides_src" / "long.md"
    source.parent.mkdir()
    source.write_text(textwrap.dedent(DECK).lstrip(), encoding="utf-8")
    build_deck(source, BuildOptions(project_root=tmp_path, out_dir=tmp_path / "build"))
    pages = _pages(tmp_path / "build" / "long.pdf")
    step_one = next(i for i, p in enumerate(pages) if "six" in p)
    # the first step's page ends with its number; the next page is the second step
    assert "2 / 3 · 1/2" in pages[step_one] and "sept" in pages[step_one + 1], pages
    assert not any(p.replace(" ", "").split("\n")[0].startswith("2/3") for p in pages), pages
    report = build_deck(source, BuildOptions(project_root=tmp_path, out_dir=tmp_path / "check", check=True))
    problems = [str(p) for p in report.problems]
    assert any("slide 2 does not fit its page" in p for p in problems), problems
