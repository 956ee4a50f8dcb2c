"""The PDF is the HTML: each slide's last step, screenshotted in Chromium at 960x540 (the slide at
scale 1) and its PDF page rendered by pdftoppm at 96 dpi (the same 960x540 pixels), look the same.

The measure: the slide is cut in 12x12-px tiles; a tile differs when its mean colour differs by more
than 16/255 in a channel, after the best alignment of the two pictures within one pixel (Chromium
and WeasyPrint position glyphs with different sub-pixel rounding, which nobody sees). A slide may
have at most MAX_TILES differing tiles (288 px², 0.06 % of the slide). What the threshold catches,
measured before the PDF was fixed: a missing title band (54-61 tiles per slide), the font's small
bullets instead of the theme's discs (6-9 tiles on a slide of two or three bullets), comments upright
in the PDF and slanted in the browser (3 tiles on a slide of result comments). After the fix, every
slide of the flagship and of the small decks has 0 or 1. (One glyph-sized mark alone may pass.)
"""
from __future__ import annotations

import io
import subprocess

import numpy as np
import pytest
from browser import page_for
from PIL import Image

TILE, LEVEL, SHIFT, MAX_TILES = 12, 16, 1, 2
SIZE = (960, 540)


def tiles(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[0] // TILE, image.shape[1] // TILE
    return image[:h * TILE, :w * TILE].reshape(h, TILE, w, TILE, 3).mean(axis=(1, 3))


def differing_tiles(a: np.ndarray, b: np.ndarray) -> int:
    """Tiles whose mean colour differs by more than LEVEL, at the best shift of `b` within SHIFT px."""
    best = None
    for dy in range(-SHIFT, SHIFT + 1):
        for dx in range(-SHIFT, SHIFT + 1):
            diff = np.abs(tiles(a) - tiles(np.roll(b, (dy, dx), axis=(0, 1)))).max(axis=2)
            best = diff if best is None else np.minimum(best, diff)
    return int((best > LEVEL).sum())


def rgb(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == SIZE, image.size
    return np.asarray(image, dtype=float)


def html_slides(browser, html) -> list[np.ndarray]:
    """Each slide at its last step, as Chromium shows it in a 960x540 window."""
    shots = []
    with page_for(browser, html, viewport=SIZE) as page:
        page.wait_for_function("window.deck && document.fonts.status === 'loaded'")
        for n in range(1, page.evaluate("window.deck.state().total") + 1):
            page.evaluate("(n) => window.deck.go(n, 'last')", n)
            shots.append(rgb(page.screenshot()))
    return shots


def pdf_pages(pdf, pages: list[int], folder) -> list[np.ndarray]:
    """The given pages (1-based) of the PDF, as pdftoppm draws them at 96 dpi (960x540)."""
    out = []
    for page in pages:
        prefix = folder / f"page-{page}"
        subprocess.run(["pdftoppm", "-r", "96", "-png", "-singlefile", "-f", str(page), "-l", str(page),
                        str(pdf), str(prefix)], check=True)
        out.append(rgb(prefix.with_suffix(".png").read_bytes()))
    return out


def last_pages(deck) -> list[int]:
    """The PDF page of each slide's last step (one page per step)."""
    pages, total = [], 0
    for slide in deck.slides:
        total += slide.steps
        pages.append(total)
    return pages


def compare(browser, built, folder) -> list[int]:
    shots = html_slides(browser, built.html)
    pages = pdf_pages(built.pdf, last_pages(built.deck), folder)
    assert len(shots) == len(pages)
    return [differing_tiles(a, b) for a, b in zip(shots, pages)]


@pytest.mark.slow
def test_each_slide_of_the_flagship_pdf_is_its_html(browser, built_flagship, tmp_path):
    differences = compare(browser, built_flagship, tmp_path)
    print("flagship, differing tiles per slide:", differences)
    assert max(differences) <= MAX_TILES, differences


@pytest.mark.slow
@pytest.mark.parametrize("theme", ["default", "meteofrance"])
def test_each_slide_of_a_small_deck_pdf_is_its_html(browser, built_small_decks, theme, tmp_path):
    differences = compare(browser, built_small_decks[theme], tmp_path)
    print(theme, "differing tiles per slide:", differences)
    assert max(differences) <= MAX_TILES, differences


def test_the_measure_sees_a_missing_band_and_missing_bullets():
    """What the threshold is for: a 6-px band across the slide, or the discs of a two-item list,
    count; the same picture one pixel off does not."""
    blank = np.full((540, 960, 3), 255.0)
    band = blank.copy()
    band[:6] = (0, 0, 145)
    assert differing_tiles(blank, band) > 50
    bullet = blank.copy()
    yy, xx = np.mgrid[:540, :960]
    for y in (205, 244):  # two 10-px red discs, one line apart (the theme's bullets)
        bullet[(yy - y) ** 2 + (xx - 66) ** 2 <= 5 ** 2] = (225, 0, 15)
    assert differing_tiles(blank, bullet) > MAX_TILES
    shifted = np.roll(bullet, 1, axis=1)  # the same discs one pixel to the right: the same slide
    assert differing_tiles(bullet, shifted) == 0
