"""A slide's PDF does not depend on what the process did before: a process forked from this one (a
deck's build forked from a test worker, from --watch's worker) ends by releasing the styles it
inherited, and must leave this process's font files in place. It removed them once: the faces this
process had not opened yet (Pango opens a face when text first uses it: italic, code) came out of
WeasyPrint as empty font programs, and the assembled deck drew those glyphs wrong."""
from __future__ import annotations

import io
import os

import pikepdf

from deck.execute import execute
from deck.render import pdf
from deck.render.assets import font_css
from deck.render.documents import render_slides, slide_print_html
from deck.source import parse_file


def _programs(data: bytes) -> dict[str, bytes]:
    with pikepdf.open(io.BytesIO(data)) as doc:
        return {str(font.BaseFont).split("+", 1)[1]: font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
                for page in doc.pages for font in page.Resources.Font.values()}


def test_a_forked_process_releasing_its_styles_leaves_this_process_fonts(project):
    path = project.deck("# Un\n\nTexte simple.\n\n---\n# Deux\n\nTexte *italique* et `code`.\n")
    deck = parse_file(path, project.root)
    execute(deck, project_root=project.root)
    plain, styled = [(s.index, slide_print_html(deck, s), s.steps) for s in render_slides(deck, project.root)]
    # styles of their own (the same fonts under another digest), made here: no face opened yet
    css = pdf.register_css(font_css() + "\n/* test_pdf_fonts_state */\n")
    pdf.render_slide(pdf.SlideJob(*plain, css))  # regular and bold opened, italic and code not
    child = os.fork()
    if child == 0:  # what a forked build does at its end (pipeline._build_for_pool)
        pdf.release_styles()
        os._exit(0)
    assert os.waitpid(child, 0)[1] == 0
    after_fork = _programs(pdf.render_slide(pdf.SlideJob(*styled, css)).data)
    fresh_css = pdf.register_css(font_css() + "\n/* test_pdf_fonts_state, fresh */\n")
    fresh = _programs(pdf.render_slide(pdf.SlideJob(*styled, fresh_css)).data)
    assert {"Source-Sans-3-Italic", "JetBrains-Mono"} <= after_fork.keys()
    assert after_fork == fresh, "the same font programs as styles that no fork has released"
