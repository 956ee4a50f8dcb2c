"""Title pages and the course index as the original lecture has them (measured in Chromium and in
the PDF): the meteofrance tagline in the original's two lines ("À vos côtés, dans un" / "climat qui
change"), typographic apostrophes in titles, no institution block in the default theme (the
`institution` lines are the meteofrance theme's State identity: README, front matter table), and
each index entry's subtitle on a line of its own under its title."""
import subprocess

import pytest
from browser import page_for

pytestmark = pytest.mark.slow

# each line of the block: its text and how many lines it takes once set
_LINES = """(sel) => [...document.querySelectorAll(sel + ' span')].map(s => {
    const r = document.createRange(); r.selectNodeContents(s);
    return [s.textContent, new Set([...r.getClientRects()].map(q => Math.round(q.top))).size]; })"""


def _ready(page):
    page.wait_for_function("window.deck && document.fonts.status === 'loaded'")


def test_the_default_theme_prints_no_institution_block(browser, built_small_decks):
    # the small deck's front matter sets institution lines, as the course's _course.yml does
    assert built_small_decks["default"].deck.front_matter.get("institution")
    with page_for(browser, built_small_decks["default"].html) as page:
        _ready(page)
        assert page.locator("#slide-1 .institution").count() == 0
        assert page.locator("#slide-1 .deck-title").inner_text() == "Lecture-hall check"


def test_the_tagline_breaks_as_the_original_does(browser, built_small_decks):
    built = built_small_decks["meteofrance"]
    with page_for(browser, built.html) as page:
        _ready(page)
        assert page.evaluate(_LINES, "#slide-1 .tagline") == [["À vos côtés, dans un", 1], ["climat qui change", 1]]
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(built.pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    lines = [line.strip() for line in text.splitlines()]
    assert "À VOS CÔTÉS, DANS UN" in lines and "CLIMAT QUI CHANGE" in lines


def test_titles_get_typographic_apostrophes(browser, built_flagship):
    with page_for(browser, built_flagship.html) as page:
        _ready(page)
        assert page.locator("#slide-1 .deck-title").inner_text() == "Machine Learning – Recap’ n°2"


def test_an_index_subtitle_is_under_its_title(browser, tmp_path):
    from deck.render.index import Listed, index_html

    decks = [Listed(f"recap{i}", {"title": f"Machine Learning – Recap' n°{i}", "subtitle": "Structure des ConvNets",
                                  "lang": "fr", "date": "2024-10-25"}, {}) for i in (2, 3)]
    page_file = tmp_path / "index.html"
    page_file.write_text(index_html(decks), encoding="utf-8")
    with page_for(browser, page_file) as page:
        boxes = page.evaluate("""() => [...document.querySelectorAll('.course-deck-title')].map(t => [
            t.querySelector('a').getBoundingClientRect().bottom, t.querySelector('.course-deck-subtitle').getBoundingClientRect().top])""")
    assert boxes and all(sub >= title - 1 for title, sub in boxes), boxes
