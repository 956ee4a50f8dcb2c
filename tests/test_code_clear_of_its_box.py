"""Code grown into the room its slide leaves (render/page_fit.py: code_sizes) keeps its longest line
a character clear of its box's edge: a line that ends at the border reads as cut. Measured in
Chromium on the flagship, every slide whose code grew."""
from __future__ import annotations

import textwrap

import pytest
from browser import page_for
from built_decks import build

from deck.render.page_fit import MONO_ADVANCE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# per grown cell of slide n: the space (in em of its code) between its longest line and the box's
# inner edge (its padding)
_GAP = """(n) => [...document.querySelectorAll(`#slide-${n} .cell[style] pre.code`)].map(pre => {
  const r = document.createRange(); let right = 0;
  r.selectNodeContents(pre); for (const q of r.getClientRects()) right = Math.max(right, q.right);
  const box = pre.getBoundingClientRect(), cs = getComputedStyle(pre), k = box.width / pre.offsetWidth;
  const inner = box.right - (parseFloat(cs.paddingRight) + parseFloat(cs.borderRightWidth)) * k;
  return (inner - right) / k / parseFloat(cs.fontSize); })"""


#: a line of 45 characters: at body size (30 px) it fits the 822-px box with 12 px to spare, the
#: 4 px the old rule kept, and ended 0.4 em from the border
DECK = """
---
title: Code
lang: fr
---
# Une ligne longue

```{python}
poids = sum([10, 20, 30, 40, 50, 60, 70, 80])
```
"""


def _gaps(browser, html) -> dict[str, float]:
    gaps = {}
    with page_for(browser, html, viewport=(960, 540)) as page:
        page.wait_for_function("window.deck && document.fonts.status === 'loaded'")
        slides = page.evaluate("""() => [...new Set([...document.querySelectorAll('.cell[style] pre.code')]
            .map(p => p.closest('section').dataset.index))]""")
        for n in slides:
            page.goto(page.url.split("#")[0] + f"#/{n}/99")
            page.wait_for_timeout(100)
            gaps[n] = min(page.evaluate(_GAP, int(n)))
    return gaps


def test_a_line_that_would_end_at_the_border_grows_less(browser, tmp_path):
    source = tmp_path / "slides_src" / "code.md"
    source.parent.mkdir()
    source.write_text(textwrap.dedent(DECK).lstrip(), encoding="utf-8")
    gaps = _gaps(browser, build(source, tmp_path, tmp_path / "build").html)
    assert len(gaps) == 1 and all(gap >= 0.9 * MONO_ADVANCE for gap in gaps.values()), gaps


def test_grown_code_keeps_a_character_clear_of_its_box(browser, built_flagship):
    gaps = _gaps(browser, built_flagship.html)
    assert len(gaps) >= 3, gaps  # the flagship has slides of grown code
    assert all(gap >= 0.9 * MONO_ADVANCE for gap in gaps.values()), gaps
