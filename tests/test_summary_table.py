"""A model summary (figures.model_summary) reads as the slide's other tables: same size, across the
content width, numbers right-aligned, the totals' rules across the whole table; measured in Chromium
on the flagship's ResNet18 slide."""
import pytest
from browser import page_for

MEASURE = """() => {
  const slide = [...document.querySelectorAll('#deck > .slide')].find((s) => s.querySelector('table.summary'));
  const table = slide.querySelector('table.summary'), content = slide.querySelector('.slide-content');
  const cs = getComputedStyle(content);
  const inner = content.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const nums = [...table.querySelectorAll('tbody td.num')];
  const foot = [...table.querySelectorAll('tfoot tr')].map((tr) => [...tr.children].map((c) => {
    const r = c.getBoundingClientRect();
    return {left: r.left, right: r.right, rule: getComputedStyle(c).borderBottomWidth};
  }));
  return {size: parseFloat(getComputedStyle(table.querySelector('td')).fontSize),
          table: parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--table-size')),
          width: table.getBoundingClientRect().width / (slide.getBoundingClientRect().width / slide.offsetWidth),
          inner, aligned: nums.map((td) => getComputedStyle(td).textAlign), foot,
          tableLeft: table.getBoundingClientRect().left, tableRight: table.getBoundingClientRect().right};
}"""


@pytest.mark.slow
def test_the_resnet18_summary_is_a_slide_table(browser, built_flagship):
    with page_for(browser, built_flagship.html) as page:
        page.wait_for_function("window.deck && document.fonts.status === 'loaded'")
        n = page.evaluate("() => [...document.querySelectorAll('#deck > .slide')].findIndex("
                          "(s) => s.querySelector('table.summary')) + 1")
        page.evaluate("(n) => window.deck.go(n, 'last')", n)
        m = page.evaluate(MEASURE)
    assert m["size"] == m["table"]  # the theme's table size (24 px), not the small print's 16
    assert m["width"] == pytest.approx(m["inner"], abs=1)
    assert m["aligned"] and set(m["aligned"]) == {"right"}
    for row in m["foot"]:  # each total's rule runs from the table's left edge to its right edge
        assert {c["rule"] for c in row} == {row[0]["rule"]}
        assert row[0]["left"] == pytest.approx(m["tableLeft"], abs=1)
        assert row[-1]["right"] == pytest.approx(m["tableRight"], abs=1)
