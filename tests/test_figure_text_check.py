"""A figure's text is judged as the slide shows it (render/page_fit.py, on WeasyPrint's layout): a
lecturer's matplotlib figure whose labels are under the back row's 2.8 % of the slide's height is an
error of `--check`, at its cell, and a warning of a build; a figure in a narrow column is judged at
the column's width (the same figure across the slide is fine)."""
from __future__ import annotations

import textwrap

import pytest

from deck.pipeline import BuildOptions, build_deck

pytestmark = pytest.mark.slow

CELL = '''```{{python}}
#| echo: false
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([0, 1, 2], [1, 0, 2])
ax.set_xlabel("époque"{size})
fig
```'''


def _check(tmp_path, body: str):
    source = tmp_path / "slides_src" / "figure.md"
    source.parent.mkdir(exist_ok=True)
    source.write_text("---\ntitle: Figure\nlang: fr\n---\n# Courbe\n\n" + textwrap.dedent(body), encoding="utf-8")
    report = build_deck(source, BuildOptions(project_root=tmp_path, out_dir=tmp_path / "out", check=True))
    return [str(p) for p in report.problems]


def test_tiny_text_the_lecturer_set_is_an_error_at_its_cell(tmp_path):
    problems = _check(tmp_path, CELL.format(size=", fontsize=4"))
    assert len(problems) == 1, problems
    assert problems[0].startswith("slides_src/figure.md:9 (slide 2): this cell's figure shows text")
    assert "'époque'" in problems[0] and "under the 15.1 px" in problems[0]


def test_a_figure_is_judged_at_the_width_of_its_column(tmp_path):
    assert _check(tmp_path, CELL.format(size="")) == []  # across the slide: legible
    narrow = ":::: columns\n::: column 22%\n" + CELL.format(size="") + "\n:::\n::: column\nTexte.\n:::\n::::\n"
    problems = _check(tmp_path, narrow)
    assert len(problems) == 1 and "this cell's figure shows text" in problems[0], problems
