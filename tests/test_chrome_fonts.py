"""The help overlay and the presenter view are set in the deck's own fonts (the theme's Source Sans 3
and JetBrains Mono, inlined in the page), as its slides are, not in the system's: measured in
Chromium on built decks of both themes."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# the first family the element asks for, and whether the page holds that face (loaded once asked:
# a face the help is the first to use starts loading when the help opens)
_FACE = """async (sel) => { const e = document.querySelector(sel); const f = getComputedStyle(e).fontFamily;
    const first = f.split(',')[0]; await document.fonts.load('16px ' + first);
    return [first.replace(/["']/g, '').trim(), document.fonts.check('16px ' + first)]; }"""


@pytest.mark.parametrize("theme", ["default", "meteofrance"])
def test_the_help_overlay_is_in_the_deck_font(browser, built_small_decks, theme):
    from browser import page_for

    with page_for(browser, built_small_decks[theme].html) as page:
        page.wait_for_timeout(200)
        page.keyboard.press("?")
        page.wait_for_selector(".deck-help", state="visible")
        page.evaluate("document.fonts.ready")
        assert page.evaluate(_FACE, ".deck-help") == ["Source Sans 3", True]
        assert page.evaluate(_FACE, ".deck-help-keys th") == ["JetBrains Mono", True]


@pytest.mark.parametrize("theme", ["default", "meteofrance"])
def test_the_presenter_view_is_in_the_deck_font(browser, built_small_decks, theme):
    from browser import file_url, page_for

    with page_for(browser) as page:
        page.goto(file_url(built_small_decks[theme].html) + "?presenter")
        page.wait_for_selector(".deck-presenter-notes")
        page.evaluate("document.fonts.ready")
        for part in (".deck-presenter-bar", ".deck-presenter-notes"):
            assert page.evaluate(_FACE, part) == ["Source Sans 3", True], part
