"""Readable from the back row: text sizes and colour contrast measured in Chromium, on the flagship and
on a small deck in each theme, so that a theme change cannot make slides unreadable in a lecture hall.

Sizes are computed font sizes against the slide box (its 540-px height): body text >= 5.5 % (reveal.js
and Quarto set 5.7-6 %), code >= 3.3 %, tables, captions, labels and slide numbers >= 2.8 %. Every
text colour is >= 4.5:1 (WCAG AA) against what is under it: the computed backgrounds of its element
and ancestors, painted over each other (and any opacity on the way). Each slide is measured at its
last step, and exercises at the step of the blank too. Text inside figures (SVG `<text>`, scaled with
the drawing to the space the slide gives it) is >= 2.8 % too; their colours have their own checks
(tests/test_figures_legibility.py).
"""
from __future__ import annotations

import pytest
from browser import page_for
from colours import backdrop, contrast, over

MINIMUM = {"body": 0.055, "heading": 0.055, "code": 0.033, "table": 0.028, "small": 0.028, "figure": 0.028}
AA = 4.5

# Every visible text of a slide: what kind of text it is, its size, colours and weight. Kinds are
# checked in this order: small print first (a callout label sits inside code), then code, tables,
# headings; the rest is body text.
MEASURE = """(slide) => {
  const kinds = [
    ["small", ".slide-number, figcaption, caption, .callout-label, .institution, .mf-header"],
    ["code", "pre, code"], ["table", "table"], ["heading", "h2, h3, .deck-title, .deck-subtitle"],
  ];
  const out = [];
  const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest("svg, aside")) continue;
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    const style = getComputedStyle(el);
    const kind = (kinds.find(([, sel]) => el.closest(sel)) || ["body"])[0];
    const backgrounds = [];
    let opacity = 1;
    for (let e = el; e && e !== slide.parentElement; e = e.parentElement) {
      const s = getComputedStyle(e);
      backgrounds.push(s.backgroundColor);
      opacity *= parseFloat(s.opacity);
    }
    out.push({text: n.textContent.trim().slice(0, 40), kind, size: parseFloat(style.fontSize),
              height: slide.offsetHeight, color: style.color, backgrounds, opacity,
              weight: parseInt(style.fontWeight, 10), cls: el.className,
              mark: ["answer", "blank", "computed"].find((m) => el.closest("." + m)) || ""});
  }
  return out;
}"""


# The smallest text of each figure of a slide, in slide pixels: font size in the SVG's units times
# the drawing's scale (the viewBox fitted into the box, ratio kept), the slide's own scale removed.
FIGURE_TEXT = """(slide) => {
  const k = slide.getBoundingClientRect().height / slide.offsetHeight;
  return [...slide.querySelectorAll(".figure svg")].map((svg) => {
    const box = svg.getBoundingClientRect(), view = svg.viewBox.baseVal;
    const scale = Math.min(box.width / view.width, box.height / view.height) / k;
    const sizes = [...svg.querySelectorAll("text")].map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
    return {label: svg.getAttribute("aria-label"), smallest: Math.min(...sizes), height: slide.offsetHeight};
  });
}"""


def texts_at(page, slide: int, step) -> list[dict]:
    page.evaluate("([n, k]) => window.deck.go(n, k)", [slide, step])
    return page.evaluate(f"(n) => ({MEASURE})(document.getElementById('slide-' + n))", slide)


def text_contrast(t: dict) -> float:
    under = backdrop(t["backgrounds"])
    return contrast(over(t["color"], under, t["opacity"]), under)


def measure(browser, html) -> list[dict]:
    """Every visible text of every slide at its last step, with the slide's number; the smallest text
    of each figure as one more text of kind "figure"."""
    found = []
    with page_for(browser, html) as page:
        page.wait_for_function("window.deck && document.fonts.status === 'loaded'")
        for n in range(1, page.evaluate("window.deck.state().total") + 1):
            found += [dict(t, slide=n) for t in texts_at(page, n, "last")]
            figures = page.evaluate(f"(n) => ({FIGURE_TEXT})(document.getElementById('slide-' + n))", n)
            found += [{"slide": n, "kind": "figure", "text": f["label"][:40], "size": f["smallest"],
                       "height": f["height"], "cls": "", "mark": ""} for f in figures]
    return found


def decks(built_flagship, built_small_decks) -> dict:
    return {"flagship": built_flagship, **{f"small-{k}": v for k, v in built_small_decks.items()}}


@pytest.fixture(scope="module")
def measured(browser, built_flagship, built_small_decks) -> dict[str, list[dict]]:
    return {name: measure(browser, b.html) for name, b in decks(built_flagship, built_small_decks).items()}


@pytest.mark.slow
@pytest.mark.parametrize("deck", ["flagship", "small-default", "small-meteofrance"])
def test_text_is_big_enough(measured, deck):
    texts = measured[deck]
    assert {t["kind"] for t in texts} >= {"body", "heading", "code", "small", "figure"}
    smallest = {}
    for t in texts:
        ratio = t["size"] / t["height"]
        smallest[t["kind"]] = min(smallest.get(t["kind"], 1.0), ratio)
    print(deck, {k: f"{v:.1%}" for k, v in sorted(smallest.items())})
    too_small = [(t["slide"], t["kind"], t["text"], f"{t['size'] / t['height']:.1%}") for t in texts
                 if t["size"] / t["height"] < MINIMUM[t["kind"]]]
    assert not too_small


@pytest.mark.parametrize("deck", ["flagship", "small-default", "small-meteofrance"])
def test_every_text_contrasts_with_its_background(measured, deck):
    texts = [t for t in measured[deck] if t["kind"] != "figure"]
    print(deck, f"lowest contrast {min(text_contrast(t) for t in texts):.2f}")
    low = [(t["slide"], t["text"], t["cls"], f"{text_contrast(t):.2f}") for t in texts if text_contrast(t) < AA]
    assert not low


def test_the_small_decks_hold_every_kind_of_text(measured):
    # what the themes must get right is on the page: tables, computed values, answers, labels, errors
    for theme in ("small-default", "small-meteofrance"):
        classes = set(" ".join(t["cls"] for t in measured[theme]).split())
        assert {"callout-label", "c1", "k", "s2", "mi", "nf", "nc", "nd", "sd", "slide-number"} <= classes
        assert {"computed", "answer"} <= {t["mark"] for t in measured[theme]}
        assert any(t["kind"] == "table" for t in measured[theme])


@pytest.mark.parametrize("deck", ["flagship", "small-default", "small-meteofrance"])
def test_answers_stand_out_more_than_their_blanks(browser, built_flagship, built_small_decks, deck):
    """At its step, an answer is heavier, higher in contrast and framed by a highlight; its blank
    the step before is a lighter mark with no highlight."""
    built = decks(built_flagship, built_small_decks)[deck]
    pairs = 0
    with page_for(browser, built.html) as page:
        page.wait_for_function("window.deck && document.fonts.status === 'loaded'")
        for slide in built.deck.slides:
            steps = sorted({r.answer_step for c in slide.cells for r in c.replacements if r.blank is not None})
            for step in steps:
                blanks = [t for t in texts_at(page, slide.index, step - 1) if t["mark"] == "blank"]
                answers = [t for t in texts_at(page, slide.index, step) if t["mark"] == "answer"]
                assert blanks and answers, slide.index
                for blank in blanks:
                    for answer in answers:
                        pairs += 1
                        assert answer["weight"] > blank["weight"]
                        assert text_contrast(answer) >= max(text_contrast(blank), 7.0)
                        code_bg = backdrop(blank["backgrounds"])
                        assert contrast(backdrop(answer["backgrounds"]), code_bg) > 1.1  # a highlight
    assert pairs >= 2


def test_code_colours_contrast_on_every_background_code_sits_on():
    """Every token colour of the code style, including those the decks above do not use, on the
    code background and on a highlighted line (as base.css sets them)."""
    import re

    from deck.render.assets import THEMES
    from deck.render.highlight import pygments_css

    colours = set(re.findall(r"(?<![-\w])color: (#[0-9A-Fa-f]{3,6})", pygments_css()))
    assert len(colours) > 15
    base = (THEMES / "base.css").read_text(encoding="utf-8")
    for name in ("--code-bg", "--line-bg"):
        background = re.search(name + r": (#[0-9a-f]{6})", base).group(1)
        low = {c: round(contrast(c, background), 2) for c in colours if contrast(c, background) < AA}
        assert not low, name
