"""Page fit, precisely: code that runs past its box (in a column too) is an overflow at the cell's
line, with a hint (`#| code-size: small`) when smaller code would fit; whole-slide problems name the
slide's title line."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from deck.errors import SourceError
from deck.pipeline import BuildOptions, build_deck


def check(path: Path, root: Path):
    return build_deck(path, BuildOptions(project_root=root, check=True, layout=True))


def first_lines(problems) -> list[str]:
    """The first line of each problem, its amount in px left out (it follows the theme's fonts)."""
    return [re.sub(r"runs \d+ px", "runs N px", str(p).splitlines()[0]) for p in problems]


COLUMN = """\
---
title: T
---

# Code in a column

:::: columns
::: column 40%
```{{python}}
#| output: comment{option}
x = 1
y = dict(argument_one=1, two=22)
z = 2
```
:::
::: column
Text beside the code, far from the page's edge.
:::
::::
"""


def test_code_escaping_its_column_is_reported_at_its_line_with_a_hint(project):
    deck = project.deck(COLUMN.format(option=""))
    assert first_lines(check(deck, project.root).problems) == [
        "slides_src/t.md:12 (slide 2): this line of code runs N px past its box: "
        "shorten it, or write `#| code-size: small` in the cell"]


@pytest.mark.slow
def test_a_warm_check_says_what_a_cold_one_says(project):
    """The laid-out slides come from the cache the second time: the problem keeps its cell, line and hint."""
    deck = project.deck(COLUMN.format(option=""))
    cold = first_lines(check(deck, project.root).problems)
    warm = check(deck, project.root)
    assert warm.rendered == [] and first_lines(warm.problems) == cold and cold[0].startswith("slides_src/t.md:12 ")


def test_small_code_fits_where_normal_code_does_not(project):
    deck = project.deck(COLUMN.format(option="\n#| code-size: small"))
    assert check(deck, project.root).problems == []


@pytest.mark.slow
def test_too_long_even_small_says_so(project):
    deck = project.deck(COLUMN.format(option="").replace("two=22", "two=22, three=3, four=4"))
    assert first_lines(check(deck, project.root).problems) == [
        "slides_src/t.md:12 (slide 2): this line of code runs N px past its box: "
        "shorten or split it (even `#| code-size: small` would not make it fit)"]
    deck.write_text(deck.read_text().replace("#| output: comment", "#| output: comment\n#| code-size: small"))
    assert first_lines(check(deck, project.root).problems) == [
        "slides_src/t.md:13 (slide 2): this line of code runs N px past its box: shorten or split it"]


def test_output_escaping_its_box_is_reported_at_the_cell(project):
    deck = project.deck(COLUMN.format(option="").replace("z = 2", "print('w' * 60)").replace(
        "two=22", "a=2").replace("#| output: comment", "#| echo: true"))
    assert first_lines(check(deck, project.root).problems) == [
        "slides_src/t.md:11 (slide 2): a line of this cell's output runs N px past its box: "
        "shorten or split it (even `#| code-size: small` would not make it fit)"]


def test_a_slide_too_tall_is_named_by_its_title_line(project):
    items = "\n".join(f"- item {i}" for i in range(22))
    deck = project.deck(f"---\ntitle: T\n---\n\n# Fine\n\nok\n\n---\n\n\n# Tall\n\n{items}\n")
    assert first_lines(check(deck, project.root).problems) == [
        "slides_src/t.md:12 (slide 3): slide 3 does not fit its page: its content runs 1 page too long"]


def test_code_size_is_checked(project):
    deck = project.deck("---\ntitle: T\n---\n# S\n```{python}\n#| code-size: tiny\n1\n```\n")
    with pytest.raises(SourceError) as err:
        check(deck, project.root)
    assert str(err.value).splitlines()[0] == (
        "slides_src/t.md:6 (slide 2): cell option 'code-size' must be normal or small, not 'tiny'")


@pytest.mark.slow
def test_a_table_a_cell_prints_past_its_column_is_reported_at_the_cell(project):
    deck = project.deck(COLUMN.format(option="").replace("#| output: comment", "#| output: asis\n#| echo: false").replace(
        "y = dict(argument_one=1, two=22)", "print('| ' + ' | '.join(f'column{i}' for i in range(9)) + ' |')\n"
        "print('|' + '---|' * 9)").replace("z = 2", "print('| ' + ' | '.join(str(10 ** 6 * i) for i in range(9)) + ' |')"))
    assert first_lines(check(deck, project.root).problems) == [
        "slides_src/t.md:12 (slide 2): this cell's output (a table or a figure) runs N px past its box: make it narrower"]


def _shapes_slide(rows: int, code_lines: int) -> str:
    table = "\n".join(f"| {chr(97 + i)} | Conv | {i + 1} |" for i in range(rows))
    code = "\n".join(f"x{i} = {i}" for i in range(code_lines))
    return (f"# Les formes\n\n| étape | type | forme |\n|---|---|---|\n{table}\n\n```python\n{code}\n```\n\n"
            "La sortie a la forme de l'entrée : on prédit un champ de même taille, sur la même grille.\n")


def test_the_last_paragraphs_bottom_margin_is_not_an_overflow(project):
    """A slide whose last paragraph ends above the page's bottom margin fits, though the paragraph's own
    12-px bottom margin (empty) reaches into it: it was "runs 4 px past the bottom edge" (a new
    lecturer's shapes table). A paragraph whose text runs into that margin is still reported, by
    how far its text goes, not its empty margin."""
    deck = project.deck("---\ntitle: T\n---\n\n" + _shapes_slide(6, 1) + "\n---\n\n" + _shapes_slide(5, 3))
    problems = check(deck, project.root).problems
    assert first_lines(problems) == [
        "slides_src/t.md:24 (slide 3): slide 3 does not fit its page: its content runs N px into the bottom "
        "margin of the page"]
    assert 0 < int(re.search(r"runs (\d+) px", str(problems[0])).group(1)) < 12  # the text's, not the margin's
