"""The PDF by slide: each slide rendered on its own and kept in the cache, the deck's PDF assembled
from them (assemble.py), and what that PDF carries: tags, one bookmark per slide, page labels, the
step indicator, one copy of each font."""
from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from deck.pipeline import build_deck

DECK = """---
title: Des diapositives à part
author: A. Lecturer
lang: fr
---
# Première diapositive

Des accents : é è à ç ô ï, et une flèche → (hors des polices du thème).

- un point *en italique*, un autre **en gras**

$$y = \\sum_i w_i x_i$$

---

# En étapes

::: incremental
- étape un
- étape deux
:::

```{python}
#| output: comment
import torch, torch.nn as nn
nb = 3 * 4
shape(torch.zeros(2, 3))
```

---

# Une figure

```{python}
#| echo: false
from matplotlib.figure import Figure
fig = Figure(figsize=(3, 2)); ax = fig.add_subplot(); ax.plot([0, 1, 4, 9]); ax.set_title("carrés")
fig
```

---

# Exercice

```{python}
#| output: comment
#| meta: true
lin = nn.Linear(4, 3)
nparams(lin)   # Nb de poids : ?
```
"""


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def bookmarks(pdf: bytes) -> list[tuple[str, int]]:
    reader = PdfReader(io.BytesIO(pdf))
    return [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]


def fonts(pdf: bytes) -> dict[str, int]:
    """Each font's name, and how many font programs of that name the file holds."""
    found: dict[str, set] = {}
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            for font in page.Resources.Font.values():
                program = font.DescendantFonts[0].FontDescriptor.FontFile2
                found.setdefault(str(font.BaseFont).split("+", 1)[1], set()).add(program.objgen)
    return {name: len(programs) for name, programs in found.items()}


def raster(pdf: bytes, tmp: Path, name: str) -> list[Image.Image]:
    (tmp / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(tmp / f"{name}.pdf"), str(tmp / name)], check=True)
    return [Image.open(p).convert("RGB") for p in sorted(tmp.glob(f"{name}-*.png"))]


def whole_document_pdf(project, handout: bool = False) -> bytes:
    """The same deck laid out by WeasyPrint as one document (how the PDF was made before)."""
    from deck.execute import execute
    from deck.render.documents import print_document, render_slides
    from deck.render.pdf import layout, write_pdf
    from deck.source import parse_file

    deck = parse_file(project.root / "slides_src" / "t.md", project.root)
    execute(deck, project_root=project.root)
    return write_pdf(layout(print_document(deck, render_slides(deck, project.root), handout)))


@pytest.mark.slow
@pytest.mark.parametrize("handout", [False, True])
def test_the_assembled_pdf_is_the_whole_document_one(project, tmp_path, handout):
    project.deck(DECK)
    report = build_deck(project.root / "slides_src" / "t.md", project.options(handout=handout))
    assembled = Path(report.outputs[-1]).read_bytes()
    whole = whole_document_pdf(project, handout)
    assert len(PdfReader(io.BytesIO(assembled)).pages) == len(PdfReader(io.BytesIO(whole)).pages) == (
        5 if handout else 7)
    assert pages_text(assembled) == pages_text(whole)
    assert bookmarks(assembled) == bookmarks(whole)
    assert fonts(assembled).keys() == fonts(whole).keys()
    assert set(fonts(assembled).values()) == {1}, "one copy of each font, shared by every slide"
    assert "DejaVu-Sans" in fonts(assembled)  # the arrow comes from a system font, merged too
    for a, b in zip(raster(assembled, tmp_path, "assembled"), raster(whole, tmp_path, "whole"), strict=True):
        assert ImageChops.difference(a, b).getbbox() is None, "every page draws the same pixels"


@pytest.mark.slow
def test_one_bookmark_per_slide_page_labels_tags_and_step_indicator(project):
    project.deck(DECK)
    report = build_deck(project.root / "slides_src" / "t.md", project.options())
    pdf = Path(report.outputs[-1]).read_bytes()
    # slides: title (1 page), prose (1), steps (2), figure (1), exercise (question, then answer: 2)
    assert bookmarks(pdf) == [("Des diapositives à part", 0), ("Première diapositive", 1),
                              ("En étapes", 2), ("Une figure", 4), ("Exercice", 5)]
    reader = PdfReader(io.BytesIO(pdf))
    assert list(reader.page_labels) == ["1", "2", "3", "3", "4", "5", "5"]
    text = pages_text(pdf)
    assert "3 / 5 · 1/2" in text[2] and "3 / 5 · 2/2" in text[3]
    assert "5 / 5 · 2/2" in text[6] and "·" not in text[1] + text[4]  # one-step slides: no indicator
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        root = doc.Root
        assert root.MarkInfo.Marked and str(root.Lang) == "fr" and root.ViewerPreferences.DisplayDocTitle
        tree = root.StructTreeRoot
        assert tree.K[0].S == "/Document" and len(tree.K[0].K) > 0
        nums = tree.ParentTree.Nums
        keys = [int(nums[i]) for i in range(0, len(nums), 2)]
        assert keys == list(range(len(keys))) and int(tree.ParentTreeNextKey) == len(keys)
        assert sorted(int(p.StructParents) for p in doc.pages) == list(range(len(doc.pages)))
        for page in doc.pages:  # each page's marked content is tied to elements on that page
            for element in nums[2 * int(page.StructParents) + 1]:
                assert element.Pg.objgen == page.obj.objgen
        assert b"pdfuaid:part>1<" in root.Metadata.read_bytes()
        assert str(doc.docinfo.Title) == "Des diapositives à part" and str(doc.docinfo.Author) == "A. Lecturer"
    assert "carrés" in text[4]  # figure text is text


@pytest.mark.slow
def test_a_prose_edit_renders_one_slide_again(project):
    source = project.deck(DECK)
    options = project.options()
    first = build_deck(source, options)
    assert first.rendered == [1, 2, 3, 4, 5]
    before = Path(first.outputs[-1]).read_bytes()
    assert build_deck(source, options).rendered == []
    assert Path(first.outputs[-1]).read_bytes() == before
    source.write_text(DECK.replace("un point", "un point modifié"), encoding="utf-8")
    edited = build_deck(source, options)
    assert edited.rendered == [2]
    text = pages_text(Path(edited.outputs[-1]).read_bytes())
    assert "modifié" in text[1] and len(text) == 7
    # the cached slides and the new one make the same PDF as a build from nothing
    fresh = project.options(cache=False)
    assert build_deck(source, fresh).rendered == [1, 2, 3, 4, 5]
    assert Path(first.outputs[-1]).read_bytes() == Path(edited.outputs[-1]).read_bytes()


@pytest.mark.slow
def test_a_theme_change_renders_every_slide_again(project):
    source = project.deck(DECK)
    build_deck(source, project.options())
    source.write_text(DECK.replace("lang: fr", "lang: fr\ntheme: meteofrance"), encoding="utf-8")
    assert build_deck(source, project.options()).rendered == [1, 2, 3, 4, 5]


@pytest.mark.slow
def test_slides_are_rendered_while_later_cells_run(project):
    """The slides before a slow cell reach the cache while that cell runs (rendered by the helper
    process): the cell waits for them, and would wait in vain if they were rendered after it."""
    slow = DECK + """
---
# Lente

```{python}
#| echo: false
#| timeout: 120
import glob, os, time
folder = os.path.join(os.environ["DECK_CACHE_DIR"], "slides", "*", "*.json")
deadline = time.monotonic() + 90  # the helper starts Python, imports WeasyPrint, renders 5 slides
while len(glob.glob(folder)) < 5 and time.monotonic() < deadline:
    time.sleep(0.05)
open("seen.txt", "w").write(str(len(glob.glob(folder))))
```
"""
    source = project.deck(slow)
    report = build_deck(source, project.options())
    assert (project.root / "seen.txt").read_text() == "5", "the five finished slides, rendered meanwhile"
    assert report.rendered == [1, 2, 3, 4, 5, 6]
    assert len(pages_text(Path(report.outputs[-1]).read_bytes())) == 8


@pytest.mark.slow
def test_student_and_check_modes_use_the_slides_too(project):
    source = project.deck(DECK)
    student = build_deck(source, project.options(student=True))
    text = pages_text(Path(student.outputs[-1]).read_bytes())
    assert len(text) == 6 and "?" in text[5] and "15" not in text[5]  # the blank, no answer page
    teacher = build_deck(source, project.options())
    assert "15" in pages_text(Path(teacher.outputs[-1]).read_bytes())[6]
    tall = DECK + "\n---\n# Trop long\n\n" + "\n\n".join(f"Paragraphe {i}." for i in range(30)) + "\n"
    source.write_text(tall, encoding="utf-8")
    published = (project.root / "build" / "t.pdf").read_bytes()
    checked = build_deck(source, project.options(check=True))
    assert [str(p).splitlines()[0] for p in checked.problems] == [
        "slides_src/t.md:53 (slide 6): slide 6 does not fit its page: its content runs 3 pages too long"]
    # a new slide changes every footer ("1 / 6"): all are laid out; check mode publishes nothing
    assert checked.rendered == [1, 2, 3, 4, 5, 6] and (project.root / "build" / "t.pdf").read_bytes() == published
    again = build_deck(source, project.options(check=True))
    assert again.rendered == [] and len(again.problems) == 1  # the page-fit check reads the cache


def test_merging_font_subsets_keeps_every_glyph():
    """Two subsets of one font, made by WeasyPrint from different text, merge into one font that
    draws both texts (checked through fontTools: every glyph of each subset is in the union)."""
    from fontTools.ttLib import TTFont

    from deck.render.assemble import merge_truetype
    from deck.render.pdf import layout, write_pdf

    def subset(text: str) -> tuple[bytes, set[int]]:
        html = f'<html lang="fr"><body style="font-family: DejaVu Sans">{text}</body></html>'
        with pikepdf.open(io.BytesIO(write_pdf(layout(html)))) as doc:
            font = next(iter(doc.pages[0].Resources.Font.values()))
            widths = list(font.DescendantFonts[0].W)
            used = {int(widths[i]) + k for i in range(0, len(widths), 2) for k in range(len(widths[i + 1]))}
            return font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes(), used

    a, b = subset("Électricité à Noël"), subset("Öl, Ära, ça, Übung")
    merged = TTFont(io.BytesIO(merge_truetype([a, b])))
    for data, used in (a, b):
        part = TTFont(io.BytesIO(data))
        for gid in range(max(used) + 1):
            glyph = part["glyf"][part.getGlyphOrder()[gid]]
            if glyph.numberOfContours > 0:
                mine = merged["glyf"][merged.getGlyphOrder()[gid]]
                assert (mine.coordinates == glyph.coordinates) and mine.endPtsOfContours == glyph.endPtsOfContours
            elif glyph.isComposite():  # accents: the same outline through the merged font's ids
                mine = merged["glyf"][merged.getGlyphOrder()[gid]]
                assert mine.isComposite() and len(mine.components) == len(glyph.components)
                for c_mine, c_part in zip(mine.components, glyph.components):
                    assert merged["glyf"][c_mine.glyphName].coordinates == part["glyf"][c_part.glyphName].coordinates
    assert merge_truetype([a, (subset("x")[0][:200], {3})]) is None  # not a font: no merge


FIGURE_IN_A_COLUMN = """---
title: Une figure en colonne
---
# Une figure en colonne

:::: columns
::: column 45%
- drawn larger than its column
- the theme gives it its size
:::
::: column
```{python}
#| echo: false
from matplotlib.figure import Figure
big = Figure(figsize=(5, 4.5)); big.add_subplot().plot([3, 1, 2])
big
```
:::
::::
"""


@pytest.mark.slow
def test_a_figure_keeps_the_size_the_theme_gives_it(project, tmp_path):
    """A figure's SVG carries its drawn size; the theme's rules must win over it in a slide's PDF as
    in the whole document (WeasyPrint ranks stylesheets given beside a document below it)."""
    project.deck(FIGURE_IN_A_COLUMN)
    report = build_deck(project.root / "slides_src" / "t.md", project.options())
    assert [w for w in report.warnings if "does not fit" in w] == []
    assembled = Path(report.outputs[-1]).read_bytes()
    whole = whole_document_pdf(project)
    assert len(PdfReader(io.BytesIO(assembled)).pages) == len(PdfReader(io.BytesIO(whole)).pages) == 2
    for a, b in zip(raster(assembled, tmp_path, "assembled"), raster(whole, tmp_path, "whole"), strict=True):
        assert ImageChops.difference(a, b).getbbox() is None
