"""When the slides left at the end of a build get a helper process (slide_pdfs.helper_pays): enough of
them and a core free for it; on a machine whose cores are busy they are laid out here (bench/RESULTS.md:
the helper's start made every measured deck slower there). The PDFs are the same either way."""
from __future__ import annotations

import os

import pytest

from deck.execute import execute
from deck.render import pdf, slide_pdfs
from deck.render.assets import font_css
from deck.render.documents import render_slides, slide_print_html
from deck.source import parse_file


def _print_pages(project, count: int) -> list[tuple[int, str, int]]:
    """The print documents of a deck of `count` slides of prose, emphasis and math."""
    path = project.deck("\n---\n".join(f"# Diapositive {i}\n\nTexte *{i}*, $x_{{{i}}}$." for i in range(count)))
    deck = parse_file(path, project.root)
    execute(deck, project_root=project.root)
    return [(s.index, slide_print_html(deck, s), s.steps) for s in render_slides(deck, project.root)]


def _laid_out(monkeypatch, load: float, pages) -> tuple[bool, list[bytes]]:
    """Whether a helper was started for these slides at this load average, and their PDFs."""
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    pdfs = slide_pdfs.SlidePdfs(font_css())
    try:
        results = pdfs.results([pdfs.job(*page) for page in pages])
        return pdfs.helper is not None, [r.data for r in results]
    finally:
        pdfs.close()


def test_the_decision_counts_slides_and_free_cores(monkeypatch):
    cores = os.cpu_count() or 1
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert not slide_pdfs.helper_pays(pdf.HELPER_MIN_SLIDES - 1)
    assert slide_pdfs.helper_pays(pdf.HELPER_MIN_SLIDES) == (cores >= 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (float(cores), 0.0, 0.0))
    assert not slide_pdfs.helper_pays(10 * pdf.HELPER_MIN_SLIDES)  # every core busy


@pytest.mark.slow
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a helper needs a second core")
def test_busy_cores_lay_slides_out_here_and_the_pdfs_are_the_same(project, monkeypatch):
    pages = _print_pages(project, pdf.HELPER_MIN_SLIDES)
    busy, here = _laid_out(monkeypatch, float(os.cpu_count() or 1), pages)
    free, with_helper = _laid_out(monkeypatch, 0.0, pages)
    assert not busy and free
    assert here == with_helper
