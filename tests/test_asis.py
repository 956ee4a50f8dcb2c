"""`#| output: asis`: what a cell prints is Markdown, shown in place of its output (a loop prints a
table); what belongs to the slide's own source (steps, notes, answers, `{py}`) is refused at the cell."""
from __future__ import annotations

import pytest
from helpers_for_tests import html, run

from deck.errors import SourceError
from deck.render.documents import render_slides

TABLE = """
# Weights per kernel size

```{python}
#| echo: false
#| output: asis
import torch
from torch import nn
print("| kernel | weights |")
print("|---|---:|")
for k in (1, 3, 5):
    print(f"| {k} × {k} | {num(nparams(nn.Conv2d(16, 32, k)))} |")
```
"""


def test_a_loop_prints_a_table(tmp_path):
    out = html(TABLE, tmp_path)
    assert '<div class="output-markdown"><table>' in out
    rows = [r for r in out.split("<tr>") if "<td>" in r and "×" in r]
    # a formula is one word: its spaces do not break (render/html.py keep_together)
    assert [r.split("<td>")[1].split("</td>")[0] for r in rows] == [f"{k}\u00a0×\u00a0{k}" for k in (1, 3, 5)]
    assert '<td style="text-align:right">12,832</td>' in out  # 32 × (16 × 25 + 1), in the deck's language
    assert "| kernel |" not in out and "print(" not in out


def test_a_string_the_cell_ends_with_is_markdown_too(tmp_path):
    out = html("""
        # S
        ```{python}
        #| echo: false
        #| output: asis
        "\\n".join(f"- level {i}: **{256 // 2 ** i}** points" for i in range(3))
        ```
        """, tmp_path)
    assert "<li>level 2: <strong>64</strong> points</li>" in out


def test_math_in_printed_markdown_is_drawn_and_its_errors_point_at_the_cell(tmp_path):
    out = html("# S\n```{python}\n#| output: asis\nprint('$x^2$')\n```\n", tmp_path)
    assert '<svg class="math"' in out
    deck, _ = run("# S\n\n```{python}\n#| output: asis\nprint('$\\\\frac{1}{$')\n```\n", tmp_path)
    with pytest.raises(SourceError) as err:
        render_slides(deck, tmp_path)
    assert str(err.value).splitlines()[0] == (
        "slides_src/t.md:9 (slide 2): cannot draw math $\\frac{1}{$: "
        "something is missing at the end (an argument, or a closing brace)")


@pytest.mark.parametrize("printed, problem", [
    ("`{py} 1 + 1`", "an inline expression (`{py} ...`): print the value itself"),
    (". . .", "a pause (`. . .`)"),
    ("::: answer\\nSeven.\\n:::", "a `::: answer` block"),
    ("::: notes\\nSecret.\\n:::", "a `::: notes` block"),
    ("```{python}\\n1\\n```", "a live cell"),
])
def test_what_belongs_to_the_slide_is_refused_at_the_cell(tmp_path, printed, problem):
    deck, _ = run(f"# S\n\n```{{python}}\n#| output: asis\nprint('a\\n\\n{printed}')\n```\n", tmp_path)
    with pytest.raises(SourceError) as err:
        render_slides(deck, tmp_path)
    assert str(err.value).splitlines()[0] == (
        f"slides_src/t.md:9 (slide 2): the Markdown this cell prints (output: asis) contains {problem}; "
        "write it in the slide instead")
