"""The lecturer's own matplotlib figures follow the deck: the deck's language on their axes (decimal
comma in French), its frame and palette where the figure kept matplotlib's defaults, and a warning at
the cell when their text is under 2.8 % of the slide's height once scaled to a slide."""
from __future__ import annotations

import re
import textwrap

from figures.legibility import MIN_TEXT_PX, display_scale, svg_size
from figures.palette import CYCLE, NAVY

SOURCE = '''
---
title: Mes courbes
lang: {lang}
---
```{{python}}
#| echo: false
import matplotlib.pyplot as plt
```

# Une courbe

```{{python}}
#| echo: false
fig, ax = plt.subplots(figsize=(6, 2.5))
_ = ax.plot([0, 1, 2, 3], [0.05, 0.5, 1.5, 2.5])
_ = ax.plot([0, 3], [2.5, 0.05], color="#ff00ff")
```

---

# Grande figure

```{{python}}
#| echo: false
fig, ax = plt.subplots(figsize=(24, 10))
_ = ax.plot([0, 1, 2], [0.1, 0.2, 0.15])
ax.set_xlabel("temps")
```

---

# Trop petit

```{{python}}
#| echo: false
fig, ax = plt.subplots(figsize=(12, 5))
_ = ax.plot([0, 1, 2], [0.1, 0.2, 0.15])
ax.set_xlabel("temps", fontsize=7)
```
'''


def _build(tmp_path, lang):
    root = tmp_path / lang
    source = root / "slides_src" / "courbes.md"
    source.parent.mkdir(parents=True)
    source.write_text(textwrap.dedent(SOURCE).lstrip().format(lang=lang), encoding="utf-8")
    from deck.pipeline import BuildOptions, build_deck

    report = build_deck(source, BuildOptions(project_root=root, out_dir=root / "build", pdf=False))
    assert not report.problems
    return report


def _svgs(report) -> list[str]:
    return [o.content for c in report.deck.cells for o in c.outputs if o.kind == "svg"]


def _ticks(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_french_axes_have_decimal_commas_and_the_deck_look(tmp_path):
    report = _build(tmp_path, "fr")
    first, _, _ = _svgs(report)
    ticks = _ticks(first)
    assert "0,5" in ticks and "2,5" in ticks and not [t for t in ticks if re.fullmatch(r"[\d.]+\.\d+", t)]
    assert f"stroke: {CYCLE[0]}" in first  # matplotlib's default blue became the deck's first colour
    assert "stroke: #ff00ff" in first  # a colour the lecturer chose stays
    assert f"fill: {NAVY}" in first
    assert "#1f77b4" not in first


def test_english_axes_keep_the_decimal_point(tmp_path):
    first, _, _ = _svgs(_build(tmp_path, "en"))
    assert "0.5" in _ticks(first) and "0,5" not in _ticks(first)


def test_default_sizes_grow_to_the_back_row_and_a_size_set_too_small_is_a_located_warning(tmp_path):
    report = _build(tmp_path, "fr")
    _, big, small = _svgs(report)
    k = display_scale(*svg_size(big))
    sizes = [float(v) for v in re.findall(r"font-size: ([\d.]+)px", big)]
    assert sizes and min(sizes) * k >= MIN_TEXT_PX  # a 24-inch figure's default 10-pt text, raised
    warned = [w for w in report.warnings if "fond de la salle" in w]
    assert len(warned) == 1 and "courbes.md:36 (slide 4)" in warned[0] and "'temps'" in warned[0]
