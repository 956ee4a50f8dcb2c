"""The phone view (a deck read at 390×844 in Chromium): what is wider than the window shows that it
scrolls, a formula is whole, a shape in a table is one line, a wide diagram keeps a legible height.

Measured on a deck built for it (a code line longer than a phone is wide, a display formula, a table
of shapes, a diagram far wider than tall): pixels of the screenshots for the scroll hint, boxes for
the rest."""
from __future__ import annotations

import contextlib
import io
import statistics
import textwrap

import pytest
from built_decks import build

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = (390, 844)

DECK = '''
---
title: Vue téléphone
lang: fr
---
# Code long

```{python}
#| output: comment
import torch
x = torch.zeros(32, 64, 128, 128)
tuple(x.flatten(start_dim=1).shape)   # (32, 1048576)
```

---

# Formule

$$n_{\\text{sortie}} = (n_{\\text{entrée}} - 1) \\times s - 2p + k + \\text{output\\_padding}$$

---

# Formes

| couche | type | forme d'entrée | forme de sortie |
|---|---|---|---|
| conv1 | Conv2d | (32, 3, 256, 256) | (32, 64, 128, 128) |
| pool | MaxPool2d | (32, 64, 128, 128) | (32, 64, 64, 64) |

---

# Schéma

```{python}
#| echo: false
figures.architecture("vgg16", rows=1)
```
'''


@pytest.fixture(scope="module")
def phone_deck(tmp_path_factory):
    root = tmp_path_factory.mktemp("phone")
    source = root / "slides_src" / "phone.md"
    source.parent.mkdir()
    source.write_text(textwrap.dedent(DECK).lstrip(), encoding="utf-8")
    return build(source, root, root / "build").html


@contextlib.contextmanager
def _opened(browser, html, title: str):
    """The phone view of ``html``, and the selector of its slide titled ``title``."""
    from browser import page_for

    with page_for(browser, html, viewport=PHONE) as page:
        page.wait_for_timeout(300)
        n = page.evaluate("""(t) => [...document.querySelectorAll('section.slide')]
            .find(s => s.querySelector('h2.slide-title')?.textContent.trim() === t).id""", title)
        yield page, "#" + n


def _luminance(png: bytes, x: int) -> float:
    """Median grey level of pixel column ``x`` (negative: from the right) of a screenshot: the
    background's, whatever text crosses it."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("L")
    x = x % img.width
    return statistics.median(img.getpixel((x, y)) for y in range(4, img.height - 4))


def test_code_past_the_edge_shows_a_shadow_until_scrolled_to_its_end(browser, phone_deck):
    with _opened(browser, phone_deck, 'Code long') as (page, slide):
        pre = page.locator(f"{slide} pre.code")
        assert pre.evaluate("e => e.scrollWidth > e.clientWidth + 8")  # it does run past the window
        start = pre.screenshot()
        pre.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        page.wait_for_timeout(100)
        end = pre.screenshot()
    # at the start the right edge is shaded (more to see), the left is not; at the end, the reverse
    assert _luminance(start, -4) < _luminance(start, 4) - 12
    assert _luminance(end, 4) < _luminance(end, -4) - 12


def test_a_formula_wider_than_the_window_is_whole(browser, phone_deck):
    with _opened(browser, phone_deck, 'Formule') as (page, slide):
        right, limit = page.evaluate("""(slide) => {
            const s = document.querySelector(slide), m = s.querySelector('.math-display svg');
            return [m.getBoundingClientRect().right, s.querySelector('.slide-content').getBoundingClientRect().right]; }""", slide)
    assert right <= limit + 0.5  # it was cut at "output_"


def test_a_shape_in_a_table_is_one_line(browser, phone_deck):
    with _opened(browser, phone_deck, 'Formes') as (page, slide):
        lines = page.evaluate("""(slide) => [...document.querySelectorAll(slide + ' td')].map(td => {
            const r = document.createRange(); r.selectNodeContents(td);
            return new Set([...r.getClientRects()].map(q => Math.round(q.top))).size; })""", slide)
    assert lines and max(lines) == 1, lines


def test_a_wide_diagram_keeps_a_legible_height_and_scrolls(browser, phone_deck):
    with _opened(browser, phone_deck, 'Schéma') as (page, slide):
        fig = page.evaluate("""(slide) => { const f = document.querySelector(slide + ' .figure'), s = f.querySelector('svg');
            const sizes = [...s.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize));
            const scale = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
            return {height: s.getBoundingClientRect().height, text: Math.min(...sizes) * scale,
                    banded: f.clientWidth * s.viewBox.baseVal.height / s.viewBox.baseVal.width,
                    scrolls: f.scrollWidth > f.clientWidth}; }""", slide)
    assert fig["scrolls"] and fig["text"] >= 12.5, fig  # was a 358×76 band with 8-px labels
    assert fig["height"] >= 1.4 * fig["banded"], fig  # taller than the window's width would make it
