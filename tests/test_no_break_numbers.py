"""No line breaks inside a number or a formula: the lecturer's "512 × 4 + 4", "16 → 32", "10 201" and
the values the build writes ("1 × 10⁻⁸") each sit on one line, measured in Chromium in a column
narrow enough that they would otherwise break."""
from __future__ import annotations

import textwrap

import pytest
from browser import page_for
from built_decks import build

SOURCE = '''
---
title: Nombres
lang: fr
---
```{python}
#| echo: false
eps = 1e-8
```

# Dans une colonne étroite

:::: columns
::: column 22%
Soit 512 × 4 + 4 octets ; de 16 → 32 → 64 ; puis 10 201 points ; enfin `{py} eps` et η = 0,001 ; 3 millions de poids, 25,6 Mo.
:::
::: column 7%
~ 2 °C

12 %
:::
::: column
Du texte.
:::
::::
'''

FORMULAS = ["512 × 4 + 4", "16 → 32 → 64", "10 201 points", "η = 0,001", "3 millions", "25,6 Mo", "~ 2 °C", "12 %"]

LINES = """(needles) => {
  const slide = document.getElementById('slide-2');
  const norm = (s) => s.replace(/[\\u00a0\\u202f]/g, ' ');
  const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
  const out = {};
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    for (const needle of needles) {
      const at = norm(n.textContent).indexOf(needle);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(n, at); range.setEnd(n, at + needle.length);
      out[needle] = new Set([...range.getClientRects()].map((r) => Math.round(r.bottom))).size;
    }
  }
  out.computed = [...slide.querySelectorAll('.computed')].map((e) =>
    new Set([...e.getClientRects()].map((r) => Math.round(r.bottom))).size);
  return out;
}"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("numbers")
    source = root / "slides_src" / "nombres.md"
    source.parent.mkdir()
    source.write_text(textwrap.dedent(SOURCE).lstrip(), encoding="utf-8")
    return build(source, root, root / "build")


def test_formulas_and_numbers_stay_on_one_line(browser, built):
    with page_for(browser, built.html) as page:
        page.wait_for_function("window.deck && document.fonts.status === 'loaded'")
        page.evaluate("() => window.deck.go(2, 'last')")
        lines = page.evaluate(LINES, FORMULAS)
    assert {f: lines.get(f) for f in FORMULAS} == {f: 1 for f in FORMULAS}
    assert lines["computed"] == [1]  # "1 × 10⁻⁸"


def test_a_number_keeps_its_unit_and_a_name_its_number():
    from deck.render.html import keep_together

    assert keep_together("3 millions de poids, 25,6 Mo") == "3\u00a0millions de poids, 25,6\u00a0Mo"
    assert keep_together("10 201 points") == "10\u202f201\u00a0points"
    assert keep_together("ResNet-50 a 2 étages") == "ResNet-50 a 2\u00a0étages"  # a name's number is not a quantity
    # a sign after the number is its unit too, and `~` stays with the value it qualifies
    assert keep_together("~ 2 °C de plus, 12 % des poids") == "~\u00a02\u00a0°C de plus, 12\u00a0% des poids"
    assert keep_together("x ~ y") == "x ~ y"
