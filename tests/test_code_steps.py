"""Code steps: `#| code-steps: "1|3-4"` lights lines of a cell one group a step, as Quarto's
`code-line-numbers`, in the HTML deck (deck.js steps) and as PDF pages (one page a step).

The option's grammar and errors, the step count (Slide.steps), the marks on each line, then the small
deck's stepped cell (tests/built_decks.py: `"|1|2-3"`) in Chromium and in its PDF pages.
"""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
from browser import page_for
from colours import css_rgba
from helpers_for_tests import html, printed, run
from PIL import Image

from deck.errors import DeckError
from deck.options import code_steps

CELL = """
# Stepped

{pause}

```{{python}}
#| code-steps: {steps}
a = 1
b = 2
c = a + b
d = c * 2
```
"""


def stepped(tmp_path, steps: str = '"1|3-4"', pause: str = ""):
    deck, _ = run(CELL.format(steps=steps, pause=pause), tmp_path)
    return deck.slides[1]


def test_the_grammar():
    assert code_steps("1|3-4") == [{1}, {3, 4}]
    assert code_steps(2) == [{2}]
    assert code_steps("|1, 3-4|") == [set(), {1, 3, 4}, set()]
    assert code_steps(None) == []


@pytest.mark.parametrize("value, message", [
    ('"1|a"', "'a' is not a line number or a range like 3-4"),
    ('"4-2"', "'4-2' is not a range of lines"),
    ('"0|1"', "'0' is not a range of lines"),
    ("true", "bad value True"),
])
def test_a_bad_value_is_located(tmp_path, value, message):
    with pytest.raises(DeckError) as err:
        stepped(tmp_path, value)
    assert str(err.value).startswith("slides_src/t.md:10 (slide 2): cell option 'code-steps'")
    assert message in str(err.value)


def test_a_line_past_the_end_is_located(tmp_path):
    with pytest.raises(DeckError) as err:
        html(CELL.format(steps='"1|5"', pause=""), tmp_path)
    assert str(err.value).splitlines()[0] == (
        "slides_src/t.md:10 (slide 2): cell option 'code-steps': line 5 is past the end of the cell's 4 lines")


def test_each_group_is_a_step_of_the_slide(tmp_path):
    assert stepped(tmp_path, '"1|3-4"').steps == 2
    assert stepped(tmp_path, '"|1|2|3-4"').steps == 4
    # from the cell's own step: after a pause, the cell appears at step 2 with its first group
    slide = stepped(tmp_path, '"1|3-4"', pause="Text first.\n\n. . .")
    assert slide.cells[0].step == 2 and slide.steps == 3


def test_each_line_says_when_it_is_lit(tmp_path):
    out = html(CELL.format(steps='"|1|3-4"', pause=""), tmp_path)
    lines = [m for m in out.split('<span class="code-line"')[1:]]
    assert [line.split('"')[1] for line in lines] == ["2", "", "3", "3"]  # the last group stays lit
    # the shared step rules light a line at the steps it names
    assert '[data-show="3"] .code-line[data-lit~="3"]' in out


def test_the_print_document_has_a_page_per_group(tmp_path):
    out = printed(CELL.format(steps='"1|3-4"', pause=""), tmp_path)
    assert 'data-index="2" data-show="1"' in out and 'data-index="2" data-show="2"' in out
    assert 'data-show="3"' not in out


# ---------------------------------------------------------------- in Chromium and in the PDF

LIT = "(e) => getComputedStyle(e).backgroundColor"


def stepped_slide(built) -> int:
    return next(s.index for s in built.deck.slides if any(c.code_steps for c in s.cells))


def lines_at(page, slide: int, step: int) -> list[dict]:
    page.evaluate("([n, k]) => window.deck.go(n, k)", [slide, step])
    return page.evaluate("(n) => [...document.querySelectorAll(`#slide-${n} .code-line`)].map(e => {"
                         " const r = e.getBoundingClientRect(), s = getComputedStyle(e);"
                         " return {bg: s.backgroundColor, edge: s.borderLeftColor, x: r.left, y: r.top + r.height / 2}; })",
                         slide)


def lit(line: dict) -> bool:
    return css_rgba(line["bg"])[3] > 0


@pytest.mark.slow
def test_the_html_deck_lights_each_group_in_turn(browser, built_small_decks):
    built = built_small_decks["meteofrance"]
    n = stepped_slide(built)  # "|1|2-3": none, then line 1, then lines 2 and 3
    with page_for(browser, built.html, viewport=(960, 540)) as page:
        page.wait_for_function("window.deck")
        page.evaluate("(n) => window.deck.go(n, 1)", n)
        assert page.evaluate("window.deck.state().steps") == 3
        assert [lit(line) for line in lines_at(page, n, 1)] == [False, False, False]
        assert [lit(line) for line in lines_at(page, n, 2)] == [True, False, False]
        assert [lit(line) for line in lines_at(page, n, 3)] == [False, True, True]
        # the keys walk through the groups as through any step
        page.evaluate("(n) => window.deck.go(n, 1)", n)
        page.keyboard.press("ArrowRight")
        assert page.evaluate("window.deck.state().step") == 2


def test_the_pdf_has_a_page_per_group_lit_as_in_the_html(browser, built_small_decks, tmp_path):
    built = built_small_decks["meteofrance"]
    n = stepped_slide(built)
    first_page = sum(s.steps for s in built.deck.slides[:n - 1]) + 1
    with page_for(browser, built.html, viewport=(960, 540)) as page:
        page.wait_for_function("window.deck")
        html_lines = {k: lines_at(page, n, k) for k in (1, 2, 3)}
    line_bg = (0xe3, 0xea, 0xfa)  # --line-bg in base.css
    expected = {1: [False, False, False], 2: [True, False, False], 3: [False, True, True]}
    for k in (1, 2, 3):
        prefix = tmp_path / f"p{k}"
        subprocess.run(["pdftoppm", "-r", "96", "-png", "-singlefile", "-f", str(first_page + k - 1),
                        "-l", str(first_page + k - 1), str(built.pdf), str(prefix)], check=True)
        image = np.asarray(Image.open(prefix.with_suffix(".png")).convert("RGB"), dtype=float)
        # the band, just right of the edge, on each line's middle (the PDF page is laid out as the
        # slide is in Chromium: tests/test_pdf_matches_html.py)
        pdf_lit = [bool(np.abs(image[int(line["y"]), int(line["x"]) + 6] - line_bg).max() < 8)
                   for line in html_lines[k]]
        assert pdf_lit == expected[k] == [lit(line) for line in html_lines[k]], k
