"""Callouts on one line of code: each label on its own row, so that the labels of close spans
(`torch.randn(16, 5, 256, 256)`) never cover each other, in Chromium and in the PDF page alike."""
from __future__ import annotations

from browser import page_for

from deck.pipeline import build_deck

DECK = """
---
title: T
---
# Shapes

```{python}
#| callouts: {"16": "Batch size", "5": "Input fields", "256, 256": "Grid"}
import torch
x = torch.randn(16, 5, 256, 256)
x.shape
```

After the code.
"""

LABELS = """() => [...document.querySelectorAll('.slide[data-index="2"] .callout-label')].map((e) => {
  const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];
})"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_labels_of_one_line_do_not_overlap(browser, project):
    source = project.deck(DECK)
    report = build_deck(source, project.options(check=False, pdf=False))
    with page_for(browser, report.outputs[0], url_suffix="#/2/1") as page:
        page.wait_for_function("window.deck")
        boxes = page.evaluate(LABELS)
        after = page.evaluate("""() => [...document.querySelectorAll('.slide[data-index="2"] p')]
                                 .find((p) => p.textContent.includes('After')).getBoundingClientRect().top""")
    assert len(boxes) == 3
    assert [(i, j) for i in range(3) for j in range(i + 1, 3) if _overlap(boxes[i], boxes[j])] == []
    assert max(b[3] for b in boxes) <= after  # the line leaves room for its rows of labels
    checked = build_deck(source, project.options(check=True))
    assert checked.problems == []
