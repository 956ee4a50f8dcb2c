"""A cell printing megabytes: its text is cut to what a slide can show, with a note saying how much
there was; the HTML and PDF stay small (before, 6.5 MB printed kept the PDF phase busy for minutes
and 200 MB made a 210 MB HTML). A figure too big to draw is a located cell error."""
from __future__ import annotations

import tracemalloc

import pytest
from pypdf import PdfReader

from deck.cli.main import main
from deck.errors import EXIT_ERROR
from deck.execute.outputs import MAX_DRAWING_CHARS, MAX_OUTPUT_CHARS, MAX_OUTPUT_LINES, PrintedText, capped

FRONT = "---\ntitle: T\n---\n# Hi\n\n"
MEGABYTES = 30


def _deck(project, code: str, name: str):
    project.deck(FRONT + f"```{{python}}\n{code}\n```\n", name=name)


@pytest.mark.slow
def test_megabytes_printed_are_cut_with_a_note_in_the_html_and_the_pdf(project, capsys):
    _deck(project, f"import sys\nsys.stdout.write(('y' * 99 + '\\n') * {MEGABYTES * 10_000})", "big")
    _deck(project, "x = 1", "small")
    assert main(["big", "small"]) == 0, capsys.readouterr().err
    out = project.root / "build"
    grown = (out / "big.html").stat().st_size - (out / "small.html").stat().st_size
    assert grown < 2 * MAX_OUTPUT_CHARS  # the escaped start of the text, not megabytes
    total = f"{MEGABYTES * 10_000 * 100:,}"
    note = f"[output cut: the cell printed {total} characters; its first"
    assert note in (out / "big.html").read_text(encoding="utf-8")
    text = " ".join(page.extract_text() for page in PdfReader(out / "big.pdf").pages)
    assert "output cut: the cell printed" in " ".join(text.split()) and total in text


def test_many_short_lines_are_cut_at_the_line_cap(project, capsys):
    _deck(project, f"for i in range({MAX_OUTPUT_LINES * 3}):\n    print(i)", "t")
    assert main(["t", "--html-only"]) == 0, capsys.readouterr().err
    html = (project.root / "build" / "t.html").read_text(encoding="utf-8")
    assert f"\n{MAX_OUTPUT_LINES - 1}\n" in html and f"\n{MAX_OUTPUT_LINES}\n" not in html
    assert f"its first {MAX_OUTPUT_LINES} lines follow]\n0\n1\n" in html  # the note above the lines


def test_a_huge_value_shown_is_cut_too(project, capsys):
    _deck(project, f"list(range({MAX_OUTPUT_CHARS}))", "t")
    assert main(["t", "--html-only"]) == 0, capsys.readouterr().err
    assert "[output cut: the cell printed " in (project.root / "build" / "t.html").read_text(encoding="utf-8")


def test_the_note_speaks_the_deck_s_language():
    assert capped("a\n" * (MAX_OUTPUT_LINES * 2), "fr").startswith(
        f"[sortie coupée : la cellule a écrit {MAX_OUTPUT_LINES * 4} caractères ; ses {MAX_OUTPUT_LINES} premières "
        "lignes suivent]\na\n")
    assert capped("short\ntext", "en") == "short\ntext"
    assert capped("42", "en", printed=len("42\n")) == "42"  # the newline print ends with is not a cut


def test_printing_keeps_only_what_is_shown_in_memory():
    stream = PrintedText()
    tracemalloc.start()
    try:
        chunk = "z" * 1_000_000
        for _ in range(MEGABYTES):
            stream.write(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(stream.getvalue()) == MAX_OUTPUT_CHARS and stream.chars == MEGABYTES * len(chunk)
    assert peak < 4 * len(chunk)  # one chunk at a time, never the whole


def test_a_figure_too_big_to_draw_is_a_located_cell_error(project, capsys):
    head, tail = "<svg xmlns='http://www.w3.org/2000/svg'>", "</svg>"
    _deck(project, f"class Big:\n    def _repr_svg_(self):\n        return {head!r} + '<g/>' * {MAX_DRAWING_CHARS // 4} + "
                   f"{tail!r}\nBig()", "t")
    assert main(["t", "--html-only"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("error: slides_src/t.md:7 (slide 2): the value the cell shows cannot be drawn: its "
                          f"_repr_svg_ returned {MAX_DRAWING_CHARS + len(head + tail):,} characters, more than"), err


def test_the_readme_states_the_caps_the_code_applies():
    from helpers_for_tests import ROOT

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"the first {MAX_OUTPUT_LINES} lines or {MAX_OUTPUT_CHARS:,} characters" in readme
    assert f"larger than {MAX_DRAWING_CHARS:,} characters" in readme


def test_a_transcript_answer_printing_megabytes_is_cut_too(project, capsys):
    """A `>>>` line whose answer is a blank put all it printed on the slide (the cell cap did not apply)."""
    lines = MAX_OUTPUT_LINES * 5
    _deck(project, f">>> for i in range({lines}): print(i)\n?", "t")
    assert main(["t", "--html-only"]) == 0, capsys.readouterr().err
    import re

    html = (project.root / "build" / "t.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)  # the answer is highlighted as code: a span per word
    assert "[output cut: the cell printed" in text
    assert f"\n{MAX_OUTPUT_LINES - 2}\n" in text and f"\n{lines - 1}\n" not in text
