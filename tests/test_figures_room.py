"""Deck's figures size their text for the room their slide leaves them: a convolution drawn under the
code that makes it got the height left under the code, not the figure's maximum height it had planned
its fonts for, and showed its numbers at 13.7 px, under the back row's 15.1 px, with no way for the
lecturer to fix it. Deck estimates the room before the cell runs (render/page_fit.py `figure_rooms`)
and the builders read it (deck.shared.svg `figure_room`): measured here on WeasyPrint's layout."""
from __future__ import annotations

import pytest
from helpers_for_tests import run

from deck.render.documents import print_document, render_slides
from deck.render.page_fit import MIN_FIGURE_TEXT, _figure_texts, describe, find_overflows
from deck.render.pdf import layout
from deck.shared.svg import figure_room
from figures.grids import CELL_PAD_EM, text_units
from figures.number_format import fmt_number

pytestmark = pytest.mark.slow

SLIDE = '''
# Une convolution

```{{python}}
#| echo: true
import torch
from torch import nn
conv = nn.Conv2d(1, 1, 3, padding=1)
figures.{call}
```
'''


@pytest.mark.parametrize("call", ["conv_illustration(size=5, kernel=3, padding=1)",
                                  "pool_illustration('avg', size=6, kernel=3, stride=1)"])
def test_a_figure_under_its_code_keeps_its_text_legible(tmp_path, call):
    deck, problems = run(SLIDE.format(call=call), tmp_path, lang="fr")
    assert not problems.items, problems.items
    (cell,) = deck.cells
    assert cell.room is not None and cell.room < 330  # under four lines of code: less than a figure's maximum
    document = layout(print_document(deck, render_slides(deck, tmp_path)))
    texts = [(px, text) for page in document.pages for px, text, _ in _figure_texts(page._page_box)]
    assert texts and min(texts)[0] >= MIN_FIGURE_TEXT, min(texts)  # was 13.7 px ('0'), for the convolution
    said = [describe(o) for o in find_overflows(document, {2: 1})]
    assert not [s for s in said if "figure shows text" in s], said


def test_numbers_stay_inside_their_cells_in_a_low_room():
    from figures.convolution import conv_illustration

    token = figure_room.set(200.0)
    try:
        fig = conv_illustration(lang="fr", size=5, kernel=3, padding=1)
    finally:
        figure_room.reset(token)
    font, cols, unit = fig.data["font"], fig.data["columns"], 0.44
    widest = [max(text_units([fmt_number(v, "fr")], font, unit) for row in grid for v in row)
              for grid in (fig.data["padded_input"], fig.data["kernel"], fig.data["output"])]
    for w, col in zip(widest, cols):
        assert w + 0.9 * CELL_PAD_EM * font / 72 / unit <= col
    assert cols[2] > 1  # the output's two-digit negatives widened their column


def test_the_room_is_unknown_where_the_prose_is_not_known(tmp_path):
    deck, _ = run("# T\n\nThe value is `{py} 1 + 1`.\n\n```{python}\nx = 1\nx\n```\n", tmp_path)
    assert deck.cells[0].room is None
