"""Steps in the PDF, looked at on the rendered pages (pdftoppm): a table that comes after a pause
leaves nothing on the pages before it (WeasyPrint paints collapsed borders of hidden cells), and a
handout, each slide in its final state, lights no line of code."""
from __future__ import annotations

import subprocess
import textwrap

import pytest
from PIL import Image

SOURCE = '''
---
title: Étapes
lang: fr
---

# Un tableau après une pause

Avant.

. . .

| a | b |
|---|---|
| 1 | 2 |
| 3 | 4 |

---

# Des lignes éclairées

```{python}
#| code-steps: "1|2"
a = 1
b = 2
```
'''

LINE_BG = (0xE3, 0xEA, 0xFA)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from deck.pipeline import BuildOptions, build_deck

    root = tmp_path_factory.mktemp("steps")
    source = root / "slides_src" / "etapes.md"
    source.parent.mkdir()
    source.write_text(textwrap.dedent(SOURCE).lstrip(), encoding="utf-8")
    out = root / "build"
    for handout in (False, True):
        report = build_deck(source, BuildOptions(project_root=root, out_dir=out, handout=handout))
        assert not report.problems
    return out


def page(pdf, n: int, tmp_path) -> Image.Image:
    prefix = tmp_path / f"{pdf.stem}-{n}"
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", str(n), "-l", str(n), "-singlefile", str(pdf), str(prefix)],
                   check=True)
    return Image.open(f"{prefix}.png").convert("RGB")


def test_a_table_after_a_pause_leaves_no_rules_before_it(built, tmp_path):
    img = page(built / "etapes.pdf", 2, tmp_path)  # slide 2, step 1: the title and "Avant." only
    w, h = img.size
    below = img.crop((0, int(0.35 * h), int(0.8 * w), int(0.85 * h)))
    marked = [p for p in below.getdata() if min(p) < 235]
    assert marked == []
    shown = page(built / "etapes.pdf", 3, tmp_path).crop((0, int(0.35 * h), int(0.8 * w), int(0.85 * h)))
    assert [p for p in shown.getdata() if min(p) < 235]  # the table is there at its step


def test_a_handout_lights_no_line(built, tmp_path):
    img = page(built / "etapes-handout.pdf", 3, tmp_path)  # title, table slide, code slide
    lit = [p for p in img.getdata() if all(abs(a - b) <= 3 for a, b in zip(p, LINE_BG))]
    assert lit == []
    last_step = page(built / "etapes.pdf", 5, tmp_path)
    assert [p for p in last_step.getdata() if all(abs(a - b) <= 3 for a, b in zip(p, LINE_BG))]
