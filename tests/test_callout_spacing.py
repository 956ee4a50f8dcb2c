"""Callout labels never touch the code or each other: the first row starts under its span with room
for its 8-px arrow (which pointed into the code, over `=` of `bias=True`), further rows keep a gap,
whatever size the code has grown to (measured in Chromium)."""
from __future__ import annotations

import textwrap

import pytest
from browser import page_for
from built_decks import build

SOURCE = '''
---
title: Callouts
lang: fr
---
# Peu de code

```{python}
#| callouts: {"bias=True": "Biais", "32": "Taille du batch"}
import torch.nn as nn
fc = nn.Linear(1024, 512, bias=True)
x = [32, 1024]
```

---

# Trois sur une ligne

```{python}
#| callouts: {"16": "Taille du batch", "5": "Champs d'entrée", "256, 256": "Grille"}
x = (16, 5, 256, 256)   # un batch de 16 situations
y = 1
```
'''

MEASURE = """(n) => {
  const slide = document.getElementById('slide-' + n);
  return [...slide.querySelectorAll('.callout')].map((c) => {
    const box = c.querySelector('.callout-box').getBoundingClientRect();
    const label = c.querySelector('.callout-label').getBoundingClientRect();
    const line = c.closest('.callout-line'), next = line.nextElementSibling;
    return {boxBottom: box.bottom, top: label.top, bottom: label.bottom,
            lineBottom: line.getBoundingClientRect().bottom,
            code: parseFloat(getComputedStyle(c.closest('pre')).fontSize)};
  });
}"""

ARROW = 8  # px: the label's arrow above it (base.css .callout-label::before)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("callouts")
    source = root / "slides_src" / "callouts.md"
    source.parent.mkdir()
    source.write_text(textwrap.dedent(SOURCE).lstrip(), encoding="utf-8")
    return build(source, root, root / "build")


def test_labels_clear_the_code_and_each_other(browser, built):
    with page_for(browser, built.html) as page:
        page.wait_for_function("window.deck && document.fonts.status === 'loaded'")
        found = {}
        for n in (2, 3):
            page.evaluate("(n) => window.deck.go(n, 'last')", n)
            found[n] = page.evaluate(MEASURE, n)
    assert found[2][0]["code"] > 18  # grown code: the labels follow it
    for labels in found.values():
        for c in labels:
            assert c["top"] - ARROW >= c["boxBottom"]  # the arrow stays under the span's frame
            assert c["bottom"] <= c["lineBottom"] + 0.5  # inside the room left under the line
        rows = sorted(labels, key=lambda c: c["top"])
        for upper, lower in zip(rows, rows[1:]):
            if lower["top"] - upper["top"] > 1:  # two rows under one line
                assert lower["top"] - upper["bottom"] >= 4
