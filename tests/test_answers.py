"""Answers that never leak: `::: answer` blocks one step after the question, and student builds that
carry no answer (no blank's value, no answer block, no speaker notes) in their HTML or their PDF."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import page_for
from helpers_for_tests import ROOT, run_build

from deck.claims.exercises import is_blank
from deck.pipeline import BuildOptions, build_deck

SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")

# Every kind of answer a deck can hold: result-comment blanks, `{py} => ?` in code and in prose,
# a transcript blank, an answer block with computed values, speaker notes with computed values.
EXERCISES = """\
---
title: Exercises
lang: fr
---
```{python}
#| echo: false
import torch
from torch import nn
```

# Question 1

```{python}
#| output: comment
conv = nn.Conv2d(3, 7, kernel_size=5)
nparams(conv)                       # Nb de poids : ?
shape(conv(torch.randn(9, 3, 41, 41)))   # ( ... )
# Formule : `{py} formula(conv) => ?`
```

::: answer
Chaque filtre voit 3 × 5² = `{py} 3 * 5 ** 2` valeurs, soit `{py} nparams(conv) * 1000 + 1` au total fois mille.
:::

::: notes
Réponse : `{py} nparams(conv) * 3 + 2` en triple.
:::

---

# Question 2

Deux couches : `{py} 2 * nparams(conv) + 17 => ?` poids.

```{python}
>>> torch.arange(4.0).pow(3).sum().item() + 0.5
?
```

::: answer
Car $\\sum_k k^3$ vaut `{py} int(torch.arange(4.0).pow(3).sum()) * 1111`.
:::

. . .

Et la suite, visible dans les deux versions.
"""


def _norm(text: str) -> str:
    return SPACES.sub(" ", text).strip()


def _appears(needle: str, haystack: str) -> bool:
    """`needle` as a whole in `haystack` (whitespace of any kind matches any; `80` not in `1801`)."""
    pattern = r"\s+".join(re.escape(w) for w in _norm(needle).split(" "))
    return re.search(rf"(?<![\w]){pattern}(?![\w])", haystack) is not None


class _Text(HTMLParser):
    """What a reader of the HTML can see or hear: text and the alt, title and aria-label attributes."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "script")
        self.parts.extend(f" {v} " for k, v in attrs if k in ("alt", "title", "aria-label") and v)

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return _norm("".join(parser.parts))


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return _norm(" ".join(p.extract_text() for p in PdfReader(path).pages))


def _inline_text(token) -> str:
    parts = []
    for child in token.children or []:
        if child.type == "code_inline" and "expr" in child.meta:
            parts.append(child.meta["expr"].text)
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def computed_answers(deck, container: str = "answer") -> list[str]:
    """What the teacher version shows as answers: the value of every blank, the text of every answer
    block and each computed value in it (`container="notes"`: what the speaker notes compute)."""
    found = [r.text for c in deck.cells for r in c.replacements if r.blank is not None]
    for slide in deck.slides:
        found += [e.text for e in slide.exprs if e.claim is not None and is_blank(e.claim)]
        depth = 0
        for tok in slide.tokens:
            if tok.type == f"container_{container}_open":
                depth += 1
            elif tok.type == f"container_{container}_close":
                depth -= 1
            elif depth and tok.type == "inline":
                found += [c.meta["expr"].text for c in tok.children or [] if "expr" in c.meta]
                found.append(_inline_text(tok))
    return [a for a in dict.fromkeys(_norm(a) for a in found) if a]


def _decks() -> list[Path]:
    return sorted(p for p in (ROOT / "slides_src").glob("*.md") if not p.name.startswith(("_", ".")))


@pytest.fixture(scope="module")
def exercises(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("answers")
    (root / "slides_src").mkdir()
    path = root / "slides_src" / "exercises.md"
    path.write_text(EXERCISES, encoding="utf-8")
    return path


def _build(path: Path, root: Path, out: Path, **options):
    report = build_deck(path, BuildOptions(project_root=root, out_dir=out, **options))
    assert not report.problems, [str(p) for p in report.problems]
    return report


def _answers_and_written(path: Path, root: Path, out: Path):
    report = _build(path, root, out, check=True, layout=False)
    return computed_answers(report.deck), [_norm(written) for _, written in report.checked], report


def test_student_build_of_the_exercise_deck_leaks_no_answer(exercises, tmp_path):
    root = exercises.parents[1]
    answers, written, report = _answers_and_written(exercises, root, tmp_path)
    assert "(9, 7, 37, 37)" in answers and "532" in answers and "7 × (3 × 5² + 1)" in answers
    assert "532 001" in answers and "1081" in answers and "36.5" in answers and "39 996" in answers
    notes = [a for a in computed_answers(report.deck, "notes") if a not in answers]
    assert "1598" in notes  # what the notes compute is no answer, yet students never see notes
    answers += notes
    assert not written  # this deck writes no value by hand: every answer must stay out
    _build(exercises, root, tmp_path)
    teacher = html_text(tmp_path / "exercises.html") + " " + pdf_text(tmp_path / "exercises.pdf")
    assert [a for a in answers if not _appears(a, teacher)] == []  # the search finds what is there
    _build(exercises, root, tmp_path, student=True)
    for shown in (html_text(tmp_path / "exercises-student.html"), pdf_text(tmp_path / "exercises-student.pdf")):
        assert [a for a in answers if _appears(a, shown)] == []
        assert "Nb de poids : ?" in shown and "( ... )" in shown and "Et la suite" in shown


@pytest.mark.slow
@pytest.mark.parametrize("deck", _decks(), ids=lambda p: p.stem)
def test_student_build_of_every_course_deck_leaks_no_answer(deck, tmp_path):
    answers, written, _ = _answers_and_written(deck, ROOT, tmp_path)
    assert answers, "a course deck without exercises"
    _build(deck, ROOT, tmp_path, html=True, pdf=False)
    teacher = html_text(tmp_path / f"{deck.stem}.html")
    assert [a for a in answers if not _appears(a, teacher)] == []
    _build(deck, ROOT, tmp_path, student=True)
    html = (tmp_path / f"{deck.stem}-student.html").read_text(encoding="utf-8")
    assert '<aside class="notes">' not in html and 'class="answer' not in html
    # A value the lecturer wrote by hand elsewhere (a checked claim, e.g. the next slide showing an
    # exercise's shape) is the lecture's content, not a leak.
    secret = [a for a in answers if a not in written]
    for shown in (html_text(tmp_path / f"{deck.stem}-student.html"), pdf_text(tmp_path / f"{deck.stem}-student.pdf")):
        assert [a for a in secret if _appears(a, shown)] == []


def test_answer_block_shows_one_step_after_the_question(tmp_path):
    from helpers_for_tests import printed

    out = printed("""
        # Q
        How many?

        ::: answer
        Seven **exactly**.
        :::

        After.

        . . .

        Second question.

        ::: answer
        Eight.
        :::
        """, tmp_path)
    pages = re.findall(r'<section class="slide page[^"]*" id="page-2-(\d)" data-index="2" data-show="\d"[^>]*>(.*?)</section>',
                       out, re.S)
    assert [k for k, _ in pages] == ["1", "2", "3"]  # question, first answer with the second question, its answer
    assert out.count('<div class="answer-block" data-step="2">') == 3
    assert out.count('<div class="answer-block" data-step="3">') == 3
    assert 'data-step="2">\n<p>Second question.' in out


def test_answer_steps_are_counted_and_dropped_for_students(tmp_path):
    from helpers_for_tests import run

    from deck.claims.exercises import student_version

    deck, _ = run("# Q\nHow many?\n\n::: answer\nSeven.\n\n. . .\n\nAnd why.\n:::\n", tmp_path)
    assert deck.slides[1].steps == 3  # the answer one step after, its own pause one more
    student = student_version(deck)
    assert student.slides[1].steps == 1
    assert deck.slides[1].steps == 3  # the executed deck is left as it was: every version renders from it


def test_student_version_leaves_the_executed_deck_as_it_was(tmp_path):
    from helpers_for_tests import run

    from deck.claims.exercises import student_version

    deck, _ = run("# Q\n```{python}\n#| output: comment\nx = 6 * 7\nx  # Answer: ?\n```\n\nAnd `{py} x => ?` too.\n", tmp_path)
    before = (deck.cells[0].display, repr(deck.cells[0].replacements), [e.text for e in deck.slides[1].exprs])
    student = student_version(deck)
    assert [r.text for r in deck.cells[0].replacements] == ["42"]
    assert [r.text for r in student.cells[0].replacements] == ["?"]
    assert [e.text for e in student.slides[1].exprs] == ["?"]
    assert (deck.cells[0].display, repr(deck.cells[0].replacements), [e.text for e in deck.slides[1].exprs]) == before
    assert student.slides[1].tokens is not deck.slides[1].tokens


def test_student_presenter_view_has_no_notes(browser, exercises, tmp_path):
    _build(exercises, exercises.parents[1], tmp_path, student=True, pdf=False)
    with page_for(browser, tmp_path / "exercises-student.html", url_suffix="#/2/1") as page:
        page.wait_for_function("window.deck")
        with page.context.expect_page() as info:
            page.keyboard.press("s")
        presenter = info.value
        presenter.wait_for_function("document.querySelector('.deck-presenter-notes')")
        assert presenter.locator(".deck-presenter-notes").inner_text() == "(aucune note)"


def test_the_exercise_option_is_gone(project):
    project.deck("---\ntitle: T\n---\n# S\n```{python}\n#| exercise: true\n1 + 1\n```\n")
    run = run_build(project, "--check", "--no-layout")
    assert run.returncode == 2
    assert "slides_src/t.md:6 (slide 2): unknown cell option 'exercise'" in run.stderr


@pytest.mark.slow
def test_a_prose_blank_is_answered_one_step_later(project):
    """`{py} expr => ?` in prose works as a blank in code: the question's step shows the blank, the
    next one the answer (a lecturer projects the teacher version); the student version, the blank."""
    from pypdf import PdfReader

    source = project.deck("""
        ---
        title: T
        ---
        # Question

        ::: incremental
        - First, nothing to answer.
        - Six times seven: `{py} 6 * 7 => ?`.
        :::
        """)
    teacher = build_deck(source, project.options())
    pages = [p.extract_text() for p in PdfReader(teacher.outputs[-1]).pages][1:]
    assert len(pages) == 3  # the first item, the second with its blank, then the answer
    assert "?" not in pages[0] and "?" in pages[1] and "42" not in pages[1]
    assert "42" in pages[2] and "?" not in pages[2]
    student = build_deck(source, project.options(student=True))
    pages = [p.extract_text() for p in PdfReader(student.outputs[-1]).pages][1:]
    assert len(pages) == 2 and "?" in pages[1] and "42" not in "".join(pages)
