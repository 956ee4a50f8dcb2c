"""Slides laid out together: the slides a build must render share one WeasyPrint document (the print
rules parsed and cascaded once) and each slide's PDF is cut from it (`Document.copy`): the bytes, the
page count and the overflows a lone layout of the slide gives; a single edited slide is laid out
alone."""
from __future__ import annotations

from pathlib import Path

import pytest
import weasyprint
from test_pdf_slides import DECK, pages_text

from deck.execute import execute
from deck.pipeline import build_deck
from deck.render import pdf
from deck.render.assets import font_css
from deck.render.documents import render_slides, slide_print_html
from deck.source import parse_file

# DECK's five slides (accents and math, steps, a figure, code, an exercise), a slide taller than its
# page (its extra page belongs to it), a slide of three pauses
MORE = DECK + "\n---\n# Trop long\n\n" + "\n\n".join(f"Paragraphe {i}." for i in range(30)) + """

---

# Trois pauses

Un

. . .

Deux

. . .

Trois
"""


def jobs_of(project, source: str, handout: bool = False) -> list[pdf.SlideJob]:
    path = project.deck(source)
    deck = parse_file(path, project.root)
    execute(deck, project_root=project.root)
    css = pdf.register_css(font_css())
    return [pdf.SlideJob(s.index, slide_print_html(deck, s, handout), 1 if handout else s.steps, css)
            for s in render_slides(deck, project.root)]


@pytest.mark.slow
@pytest.mark.parametrize("handout", [False, True])
def test_slides_laid_out_together_are_the_slides_laid_out_alone(project, handout):
    jobs = jobs_of(project, MORE, handout)
    assert len({pdf._layout_group(j.html) for j in jobs}) == 1  # steps differ, the document is one
    alone = [pdf.render_slide(job) for job in jobs]
    together = pdf.render_together(jobs)
    assert [r.slide for r in together] == [j.slide for j in jobs]
    for a, b in zip(alone, together, strict=True):
        assert (b.pages, b.overflows) == (a.pages, a.overflows), a.slide
        assert b.data == a.data, f"slide {a.slide}: the same PDF bytes"
    tall = next(r for r in together if r.slide == 6)
    assert tall.pages > 1 and [o.kind for o in tall.overflows] == ["height"]  # its extra pages are its own
    if not handout:
        assert next(r for r in together if r.slide == 7).pages == 3


def count_documents(monkeypatch) -> list[int]:
    """Pages of each document WeasyPrint lays out in this process (the real layout, counted)."""
    laid_out: list[int] = []
    render = weasyprint.HTML.render

    def counted(self, *args, **kwargs):
        document = render(self, *args, **kwargs)
        laid_out.append(len(document.pages))
        return document

    monkeypatch.setattr(weasyprint.HTML, "render", counted)
    return laid_out


# no cells: no slide is handed to the helper process while cells run, all are rendered here
PROSE_ONLY = """---
title: Sans cellules
lang: fr
---
# Une

Des accents : é è à, et $y = \\sum_i w_i x_i$.

---

# Deux en étapes

::: incremental
- étape un
- étape deux
:::
""" + MORE[MORE.index("\n---\n# Trop long"):]


def test_a_build_lays_its_slides_out_in_one_document_and_an_edit_alone(project, monkeypatch):
    laid_out = count_documents(monkeypatch)
    source = project.deck(PROSE_ONLY)
    first = build_deck(source, project.options())
    assert first.rendered == list(range(1, first.slides + 1)) and first.slides < pdf.HELPER_MIN_SLIDES
    assert laid_out == [first.pages], "every slide in one document"
    laid_out.clear()
    source.write_text(PROSE_ONLY.replace("Paragraphe 3.", "Paragraphe trois."), encoding="utf-8")
    edited = build_deck(source, project.options())
    assert edited.rendered == [first.slides - 1] and len(laid_out) == 1 and laid_out[0] > 1  # the edited slide alone (its pages)
    assert "Paragraphe trois." in "".join(pages_text(Path(edited.outputs[-1]).read_bytes()))
    # the PDF of cut slides and a lone one is the PDF of a build from nothing
    fresh = build_deck(source, project.options(cache=False))
    assert Path(fresh.outputs[-1]).read_bytes() == Path(edited.outputs[-1]).read_bytes()


def test_batches_hold_one_layout_group_each_slide_once_and_at_most_a_batch():
    def job(slide: int, head: str, steps: int = 1) -> pdf.SlideJob:
        rules = "\n".join(f'[data-show="{k}"] x {{}}' for k in range(1, steps + 1))
        return pdf.SlideJob(slide, f"<html><head><style>\n{head}\n{rules}\n</style></head><body>"
                                   f'<section class="slide" id="page-{slide}-1"></section></body></html>', steps, "css")

    jobs = [job(1, "a"), job(2, "a", steps=3), job(3, "b"), job(1, "a"), job(4, "a")]
    got = [[j.slide for j in batch] for batch in pdf.batches(jobs)]
    assert got == [[1, 2], [1, 4], [3]]  # slide 1 twice (two variants) never in one document
    assert [len(b) for b in pdf.batches([job(i, "a") for i in range(1, 40)], size=16)] == [16, 16, 7]
    together = pdf._together(jobs[:2])
    assert together.count("<section ") == 2 and together.count('[data-show="') == 3  # the most steps' rules
