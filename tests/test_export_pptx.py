"""The PowerPoint export, read back with python-pptx (slides, titles, notes, the flagship's numbers,
editable text and tables) and rendered by LibreOffice Impress (one page per slide, pictures drawn)."""
from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from types import SimpleNamespace

import pytest
from helpers_for_tests import ROOT
from pptx import Presentation
from pptx.util import Pt

from deck.export import write_exports
from deck.pipeline import BuildOptions, build_deck

FLAGSHIP = ROOT / "slides_src" / "recap2_convnets.md"


@pytest.fixture(scope="module")
def flagship(tmp_path_factory):
    out = tmp_path_factory.mktemp("pptx")
    warnings: list[str] = []
    options = BuildOptions(project_root=ROOT, decks=[str(FLAGSHIP)], out_dir=out, html=False, pdf=False, pptx=True)
    report = build_deck(FLAGSHIP, options)
    assert not report.problems, report.problems
    data = (out / "recap2_convnets.pptx").read_bytes()
    again = write_exports(report.deck, SimpleNamespace(course=False, pptx=True, student=False, project_root=ROOT),
                          out, warnings.append)
    return SimpleNamespace(deck=report.deck, data=data, again=again[out / "recap2_convnets.pptx"],
                           prs=Presentation(io.BytesIO(data)), out=out, warnings=report.warnings)


def _text(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts.extend(c.text for row in shape.table.rows for c in row.cells)
    return "\n".join(parts)


def test_one_16_9_slide_per_deck_slide_with_its_title(flagship):
    prs, deck = flagship.prs, flagship.deck
    assert prs.slide_width * 9 == prs.slide_height * 16
    assert len(prs.slides) == len(deck.slides)
    for page, slide in zip(prs.slides, deck.slides):
        assert page.shapes.title is not None and page.shapes.title.text_frame.text == slide.title


def test_notes_and_the_flagships_numbers(flagship):
    deck, pages = flagship.deck, list(flagship.prs.slides)
    dense = next(i for i, s in enumerate(deck.slides) if "nn.Linear" in s.title)
    assert "512" in pages[dense].notes_slide.notes_text_frame.text  # the note's `{py} fc.out_features`
    for cell in deck.cells:  # every value the build wrote into the code is on its slide
        page = next(i for i, s in enumerate(deck.slides) if cell in s.cells)
        for r in cell.replacements:
            assert r.text in _text(pages[page]), (cell.location, r.text)
    resnets = next(p for p in pages if any(s.has_table and "ResNet18" in _text(p) for s in p.shapes))
    assert "~\u00a011,7\u00a0M" in _text(resnets)


def test_text_is_editable_lists_keep_levels_code_is_monospace(flagship):
    pages = list(flagship.prs.slides)
    levels = {p.level for page in pages for s in page.shapes if s.has_text_frame for p in s.text_frame.paragraphs}
    assert {0, 1} <= levels
    fonts = {r.font.name for page in pages for s in page.shapes if s.has_text_frame
             for p in s.text_frame.paragraphs for r in p.runs if "nn.Linear(1024" in r.text or r.text == "nn"}
    assert fonts == {"Consolas"}
    pictures = [s for page in pages for s in page.shapes if s.shape_type == 13]
    assert pictures and all(s._element.nvPicPr.cNvPr.get("descr") for s in pictures)  # alt text
    assert all(s.image.size[0] >= 1000 for s in pictures if s.width > Pt(400))  # projector resolution


def test_the_same_bytes_and_fixed_dates(flagship):
    assert flagship.data == flagship.again
    with zipfile.ZipFile(io.BytesIO(flagship.data)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert flagship.prs.core_properties.modified.year == 2024  # the deck's date, not the build's


def test_what_cannot_be_carried_is_said_once(flagship):
    said = [w for w in flagship.warnings if "PowerPoint" in w]
    assert len(said) == 1 and "callouts" in said[0] and "code steps" in said[0]


@pytest.mark.slow
def test_libreoffice_renders_every_slide(flagship, tmp_path):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice Impress is a test dependency (scripts/setup.sh --test)"
    pptx = tmp_path / "deck.pptx"
    pptx.write_bytes(flagship.data)
    run = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                          "pdf", "--outdir", str(tmp_path), str(pptx)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    pdf = tmp_path / "deck.pdf"
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    assert len(reader.pages) == len(flagship.deck.slides)
    text = reader.pages[2].extract_text()
    assert "Couche dense" in text and "nn.Linear" in text
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "9", "-l", "9", str(pdf), str(tmp_path / "p")], check=True)
    from PIL import Image

    page = Image.open(next(tmp_path.glob("p-*.png"))).convert("L")
    dark = sum(1 for v in page.getdata() if v < 200)
    assert dark > page.size[0] * page.size[1] * 0.02  # the convolution figure is drawn, not an empty box


def test_an_image_is_a_picture_with_its_alt_text_and_a_notebook_attachment(tmp_path):
    import json

    from helpers_for_tests import run
    from PIL import Image

    from deck.export.notebook import notebook_bytes
    from deck.export.powerpoint import pptx_bytes

    folder = tmp_path / "slides_src"
    folder.mkdir()
    Image.new("RGB", (40, 20), "red").save(folder / "plan.png")
    deck, problems = run("# S\n\n![le plan du cours](plan.png)\n\nTexte.\n", tmp_path)
    assert not problems.items
    prs = Presentation(io.BytesIO(pptx_bytes(deck, tmp_path)))
    pictures = [s for s in prs.slides[1].shapes if s.shape_type == 13]
    assert [p._element.nvPicPr.cNvPr.get("descr") for p in pictures] == ["le plan du cours"]
    assert abs(pictures[0].width / pictures[0].height - 2) < 0.05  # its own proportions
    nb = json.loads(notebook_bytes(deck, deck, False, tmp_path))
    cell = next(c for c in nb["cells"] if "attachment:" in "".join(c["source"]))
    assert "![le plan du cours](attachment:image1.png)" in "".join(cell["source"])
    assert list(cell["attachments"]["image1.png"]) == ["image/png"]


def test_french_spacing_and_formulas_do_not_break_in_powerpoint(flagship):
    """PowerPoint breaks at any space: "intermédiaires) :" put the colon alone on the next line
    (LibreOffice's rendering of the flagship's slide 11), which browsers and the PDF never do."""
    deck, pages = flagship.deck, list(flagship.prs.slides)
    page = pages[next(i for i, s in enumerate(deck.slides) if "Activation (couches" in s.markdown)]
    text = _text(page)
    assert "intermédiaires)\u00a0:" in text and "intermédiaires) :" not in text


def test_the_layer_table_keeps_its_caption_band_spans_and_right_aligned_numbers(flagship):
    """figures.summary's caption and its `colspan` total rows were squeezed into the first column
    (LibreOffice's rendering: "ResNet, entrée [1, 3, 224," over two lines beside three empty cells)."""
    from pptx.enum.text import PP_ALIGN

    deck, pages = flagship.deck, list(flagship.prs.slides)
    page = pages[next(i for i, s in enumerate(deck.slides) if "couche par couche" in s.title)]
    table = next(shape.table for shape in page.shapes if shape.has_table)
    columns = len(table.columns)
    caption = table.cell(0, 0)
    assert caption.is_merge_origin and caption.span_width == columns and "ResNet" in caption.text
    total = next(r for r in range(len(table.rows)) if table.cell(r, 0).text.startswith("Total"))
    assert table.cell(total, 0).span_width == columns - 1
    assert table.cell(total, columns - 1).text.replace("\u202f", " ") == "11 689 512"
    assert table.cell(total, columns - 1).text_frame.paragraphs[0].alignment == PP_ALIGN.RIGHT
    assert table.cell(2, 1).text_frame.paragraphs[0].alignment != PP_ALIGN.RIGHT  # "Conv2d"


def test_long_titles_shrink_to_one_line_before_they_wrap_clear_of_the_bar():
    from deck.export.powerpoint import TITLE_MIN, TITLE_SIZE, title_size

    assert title_size("ResNet18") == (TITLE_SIZE, 1)
    size, lines = title_size("Une erreur classique : une grille qui ne se divise pas par 16")  # recap4's last
    assert TITLE_MIN <= size < TITLE_SIZE and lines == 1
    assert title_size("Une erreur classique, longue : une grille qui ne se divise pas par 16 ni par 32") == (
        TITLE_MIN, 2)


@pytest.mark.parametrize("tex, text", [
    ("(w_1, w_2, w_3)", "(w₁, w₂, w₃)"), ("2^4", "2⁴"), ("10^{-8}", "10⁻⁸"), ("e^{-x}", "e⁻ˣ"),
    (r"\beta_1", "β₁"), (r"C^\top y", "Cᵀy"), (r"n_{\text{sortie}}", "n_sortie"), ("x_{i,j}", "x_(i,j)"),
    (r"\frac{1}{N} + \frac{1}{k^2}", "1/N + 1/k²"), (r"k^2 \, C_\text{in} \, C_\text{out}", "k² Cᵢₙ Cₒᵤₜ")])
def test_inline_math_indices_read_as_indices(tex, text):
    """recap4's "noyau $(w_1, w_2, w_3)$" and "$2^4$" showed their TeX in PowerPoint."""
    from deck.export.blocks import math_text

    assert math_text(tex) == text


def test_a_default_theme_title_page_has_no_institution_lines(project):
    """The course's `institution` (from _course.yml) showed on the pptx title page of a default-theme
    deck, whose PDF title page is neutral."""
    project.write("slides_src/_course.yml", "institution: [République Française]\norganisation: Météo France\n")
    path = project.deck("---\ntitle: T\ntheme: default\n---\n# A\n\nText.\n")
    report = build_deck(path, project.options(decks=[str(path)], html=False, pdf=False, pptx=True))
    assert not report.problems, report.problems
    first = Presentation(project.root / "build" / "t.pptx").slides[0]
    text = "\n".join(s.text_frame.text for s in first.shapes if s.has_text_frame)
    assert "T" in text and "République" not in text and "Météo" not in text


def test_a_markdown_table_aligns_as_its_source_says():
    """`---:` columns right, the others left: the alignment comes from the source, not a guess."""
    from deck.export.blocks import _table
    from deck.source.markdown import markdown

    tokens = markdown().parse("| layer | weights |\n|---|---:|\n| conv | 1 792 |\n| id | 0 |\n")
    table = _table(tokens, None)
    assert table.right == {(0, 1), (1, 1), (2, 1)}
