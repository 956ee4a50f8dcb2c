"""The default theme's title page: the institution lines start right of the title block's coral bar,
in line with the title, not under the bar (measured in Chromium)."""
import pytest
from browser import page_for

MEASURE = """() => {
  const slide = document.getElementById('slide-1');
  const inst = slide.querySelector('.institution'), page = slide.querySelector('.title-page');
  const title = slide.querySelector('.deck-title');
  const bar = page.getBoundingClientRect().left + parseFloat(getComputedStyle(page).borderLeftWidth);
  return {inst: inst.getBoundingClientRect().left, bar, title: title.getBoundingClientRect().left};
}"""


@pytest.mark.slow
def test_institution_lines_clear_the_bar(browser, built_small_decks):
    with page_for(browser, built_small_decks["default"].html) as page:
        page.wait_for_function("window.deck && document.fonts.status === 'loaded'")
        m = page.evaluate(MEASURE)
    assert m["inst"] >= m["bar"]
    assert m["inst"] == pytest.approx(m["title"], abs=1)
