"""The student version of the flagship: its blanks read as blanks (in their red, like the teacher
version's) and no exercise's answer appears on any later page, not even where the lecture goes on
with the same layer (an answer shown two slides later is a leak, written by hand or computed)."""
from __future__ import annotations

import pytest
from browser import page_for
from helpers_for_tests import ROOT
from test_answers import _appears, _build, computed_answers, html_text

FLAGSHIP = ROOT / "slides_src" / "recap2_convnets.md"

BLANK_COLOURS = """() => {
  const ink = getComputedStyle(document.documentElement).getPropertyValue('--accent-ink').trim();
  const probe = document.createElement('span'); probe.style.color = ink; document.body.append(probe);
  const red = getComputedStyle(probe).color; probe.remove();
  const blanks = [...document.querySelectorAll('pre.code .blank')];
  const colours = blanks.flatMap((b) => [b, ...b.querySelectorAll('*')]).map((e) => getComputedStyle(e).color);
  return {red, n: blanks.length, colours: [...new Set(colours)]};
}"""


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    checked = _build(FLAGSHIP, ROOT, out / "check", check=True, layout=False)
    _build(FLAGSHIP, ROOT, out, student=True)
    return computed_answers(checked.deck), out


@pytest.mark.slow
def test_no_answer_on_any_student_page(student):
    from pypdf import PdfReader

    answers, out = student
    assert answers
    pages = [p.extract_text() for p in PdfReader(out / "recap2_convnets-student.pdf").pages]
    leaks = [(k + 1, a) for k, text in enumerate(pages) for a in answers if _appears(a, text)]
    assert leaks == []
    assert [a for a in answers if _appears(a, html_text(out / "recap2_convnets-student.html"))] == []


@pytest.mark.slow
def test_student_blanks_are_red(browser, student):
    _, out = student
    with page_for(browser, out / "recap2_convnets-student.html") as page:
        page.wait_for_function("window.deck && document.fonts.status === 'loaded'")
        found = page.evaluate(BLANK_COLOURS)
    assert found["n"] >= 4  # two exercises, two blanks each
    assert found["colours"] == [found["red"]]
