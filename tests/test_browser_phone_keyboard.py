"""Phone and keyboard: below about 500 px wide the deck is a page that scrolls; the help and the
overview take the focus and keep it until they close; a presenter view opened by hand from file://
follows the audience view (and leads it) through localStorage.

The phone view is checked on the flagship (the real themes); the rest on the runtime's fixture deck.
"""
from __future__ import annotations

import pytest
from browser import file_url, page_for
from runtime_pages import at, press, state, wait_state

PHONE = (375, 740)
# resolves once the page has not scrolled for five animation frames
SCROLL_SETTLED = """new Promise((resolve) => {
  let last = -1, still = 0;
  const frame = () => {
    still = scrollY === last ? still + 1 : 0;
    last = scrollY;
    if (still >= 5) resolve(); else requestAnimationFrame(frame);
  };
  frame();
})"""


# ---------------------------------------------------------------- phone


def test_a_phone_gets_a_readable_scrolling_page(browser, built_flagship):
    deck = built_flagship.deck
    with page_for(browser, built_flagship.html, viewport=PHONE, url_suffix="#/6") as page:
        page.wait_for_function("window.deck && document.documentElement.classList.contains('deck-scroll')"
                               " && document.fonts.status === 'loaded'")
        # the page scrolls, never sideways; the slide named by the URL is at the top
        sizes = page.evaluate("({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight})")
        assert sizes["w"] <= PHONE[0] and sizes["h"] > 5 * PHONE[1]
        assert abs(page.evaluate("document.getElementById('slide-6').getBoundingClientRect().top")) < 2
        # every slide, in order, one under the other, at the window's width, unscaled
        boxes = page.evaluate("[...document.querySelectorAll('#deck > .slide')].map(s => {"
                              " const r = s.getBoundingClientRect(); return [r.top, r.left, r.width]; })")
        assert len(boxes) == len(deck.slides)
        assert all(a[0] < b[0] for a, b in zip(boxes, boxes[1:]))
        assert all(abs(left) < 1 and abs(width - PHONE[0]) < 1 for _, left, width in boxes)
        # text at a hand-held size (a 375-px screen read at arm's length: 16 px and more)
        sizes = page.evaluate("[...document.querySelectorAll('#deck .slide-content p, #deck .slide-content li')]"
                              ".map(e => parseFloat(getComputedStyle(e).fontSize) * "
                              "e.getBoundingClientRect().width / e.offsetWidth)")
        assert sizes and min(sizes) >= 16
        # each slide in its final state: every step shown, answers instead of blanks
        assert page.evaluate("[...document.querySelectorAll('#deck [data-step]')]"
                             ".every(e => getComputedStyle(e).visibility === 'visible')")
        assert page.evaluate("[...document.querySelectorAll('#deck [data-swap-out]')]"
                             ".every(e => getComputedStyle(e).display === 'none')")
        assert not page.evaluate("[...document.querySelectorAll('#deck > .slide')].some(s => s.inert)")
        # a figure is as wide as the window and keeps its ratio (nothing drawn over the text)
        for svg in page.evaluate("[...document.querySelectorAll('#deck .figure svg')].map(s => {"
                                 " const r = s.getBoundingClientRect(), v = s.viewBox.baseVal;"
                                 " return [r.width, r.height, v.width / v.height]; })"):
            assert abs(svg[0] / svg[1] - svg[2]) < 0.02
        # the keys scroll the page, as on any page; the URL follows the slide at the top
        before = page.evaluate("scrollY")
        press(page, "PageDown")
        page.wait_for_function("(y) => scrollY > y", arg=before)
        page.evaluate(SCROLL_SETTLED)  # Chromium animates a key's scroll
        page.evaluate("document.getElementById('slide-12').scrollIntoView()")
        page.wait_for_function("location.hash.startsWith('#/12')")
        # a wider window is the slide view again, on that slide
        page.set_viewport_size({"width": 1280, "height": 720})
        page.wait_for_function("!document.documentElement.classList.contains('deck-scroll')")
        assert page.evaluate("window.deck.state().slide") == 12
        box = page.locator("#slide-12").bounding_box()
        assert abs(box["width"] - 1280) < 1.5


def test_a_landscape_phone_keeps_the_slide_view(browser, deck_path):
    with page_for(browser, deck_path, viewport=(740, 360)) as page:
        page.wait_for_function("window.deck")
        assert not page.evaluate("document.documentElement.classList.contains('deck-scroll')")


# ---------------------------------------------------------------- dialogs


def focused(page) -> str:
    return page.evaluate("(() => { const a = document.activeElement;"
                         " return a === document.body ? 'body' : (a.id || a.className); })()")


def test_the_help_takes_the_focus_and_keeps_it(page):
    page.evaluate("window.deck.go(2, 1)")
    press(page, "?")
    assert page.evaluate("document.activeElement.closest('.deck-help') !== null")
    # the deck behind does not move, and focus cannot leave the dialog
    press(page, "ArrowRight", "PageDown", "End", "o")
    assert state(page) == at(2, 1)
    assert not page.evaluate("document.documentElement.classList.contains('deck-overview')")
    for key in ("Tab", "Tab", "Shift+Tab"):
        press(page, key)
        assert page.evaluate("document.activeElement.closest('.deck-help') !== null"), key
    assert page.evaluate("document.getElementById('deck').inert")
    # Enter on its button closes it; the deck has its keys back
    press(page, "Enter")
    assert not page.locator(".deck-help").is_visible()
    assert not page.evaluate("document.getElementById('deck').inert")
    assert focused(page) == "body"
    press(page, "ArrowRight")
    assert state(page) == at(2, 2)


def test_the_help_gives_the_focus_back(page):
    page.evaluate("window.deck.go(4, 1)")
    page.focus("#s4-link")
    press(page, "h")
    assert focused(page) == "deck-help-button"
    press(page, "Escape")
    assert focused(page) == "s4-link"


def test_the_overview_takes_the_focus_and_keeps_it(page):
    page.evaluate("window.deck.go(2, 1)")
    press(page, "o")
    assert focused(page) == "slide-2"
    assert page.get_attribute("#deck", "role") == "dialog"
    press(page, "Tab")
    assert focused(page) == "slide-3"
    press(page, "Shift+Tab", "Shift+Tab", "Shift+Tab")
    assert focused(page) == "slide-5"  # Tab goes round the thumbnails, never out of the overview
    press(page, "ArrowLeft")
    assert focused(page) == "slide-4"
    # the help over the overview, then back to the thumbnail
    press(page, "?")
    assert focused(page) == "deck-help-button"
    press(page, "Escape")
    assert focused(page) == "slide-4"
    press(page, "Enter")
    assert state(page) == at(4, 1)
    assert page.get_attribute("#deck", "role") is None
    assert focused(page) == "body"


# ---------------------------------------------------------------- presenter from file://


def test_a_presenter_view_opened_by_hand_from_file_follows_and_leads(browser, deck_path):
    """Two windows of the same file, the second opened by hand with ?presenter (no window.opener):
    BroadcastChannel does not reach across file:// pages in Chromium; localStorage does."""
    with page_for(browser, deck_path) as audience:
        audience.evaluate("window.deck.go(3, 1)")
        presenter = audience.context.new_page()
        presenter.goto(file_url(deck_path) + "?presenter")
        presenter.wait_for_function("window.deck && window.deck.isPresenter")
        assert presenter.evaluate("window.opener") is None
        wait_state(presenter, 3, 1)  # it asked where the audience is
        press(audience, "ArrowRight")
        wait_state(presenter, 3, 2)
        press(presenter, "ArrowRight")
        wait_state(audience, 4, 1)
        presenter.evaluate("window.deck.go(5, 2)")
        wait_state(audience, 5, 2)
        assert "conclure" in presenter.locator(".deck-presenter-notes").inner_text()


@pytest.mark.parametrize("other", ["other.html"])
def test_windows_of_another_file_do_not_follow(browser, deck_path, other):
    twin = deck_path.with_name(other)
    twin.write_bytes(deck_path.read_bytes())
    with page_for(browser, deck_path) as first:
        second = first.context.new_page()
        second.goto(file_url(twin) + "?presenter")
        second.wait_for_function("window.deck && window.deck.isPresenter")
        press(first, "ArrowRight")
        wait_state(first, 2, 1)
        # a message for the first file would have arrived by now: the second window has answered
        # its own hello, and a storage event is delivered before the next task of the page
        second.evaluate("new Promise(r => setTimeout(r, 0))")
        assert state(second) == at(1, 1)
