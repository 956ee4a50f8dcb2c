"""Browser tests of the slide runtime (deck/render/runtime/deck.js + runtime.css): state, keys, steps, fragments, mouse and touch.

Pages and helpers: tests/runtime_pages.py; the Chromium session: tests/browser.py (via conftest).
"""

from __future__ import annotations

import pytest
from browser import page_for, runtime_sources
from runtime_pages import (
    FIXTURE,
    STEPS,
    TOTAL,
    at,
    fragment,
    press,
    state,
    style,
    visible_slides,
    wait_state,
    write_deck,
)

# ---------------------------------------------------------------- sources


def test_runtime_sources_can_be_inlined():
    js, css = runtime_sources()
    assert "</script" not in js.lower()
    assert "</style" not in css.lower()
    assert "@page" in css and "960px 540px" in css


# ---------------------------------------------------------------- initial state, a11y


def test_initial_state_and_accessibility(page):
    assert page.evaluate("window.deck.state()") == {"slide": 1, "step": 1, "total": TOTAL, "steps": 1}
    assert visible_slides(page) == ["slide-1"]
    hidden = page.evaluate(
        "[...document.querySelectorAll('#deck > .slide')].map(s => [s.getAttribute('aria-hidden'), s.inert])"
    )
    assert hidden == [["false", False]] + [["true", True]] * (TOTAL - 1)
    live = page.locator("[aria-live=polite]")
    assert live.count() == 1
    assert live.text_content() == "Diapositive 1 / 5"
    # notes never show in the audience view, slide numbers do
    assert style(page, "#slide-1 aside.notes", "display") == "none"
    assert page.locator("#slide-1 .slide-number").is_visible()
    press(page, "ArrowRight")
    assert live.text_content() == "Diapositive 2 / 5"
    assert page.evaluate("document.getElementById('slide-1').inert") is True
    assert page.evaluate("document.getElementById('slide-2').getAttribute('aria-hidden')") == "false"


def test_english_labels(browser, tmp_path):
    html = FIXTURE.read_text(encoding="utf-8").replace('<html lang="fr">', '<html lang="en">')
    with page_for(browser, write_deck(tmp_path, html)) as p:
        assert p.locator("[aria-live=polite]").text_content() == "Slide 1 / 5"
        press(p, "?")
        assert p.locator(".deck-help").is_visible()
        assert "Next step or slide" in p.locator(".deck-help").inner_text()


# ---------------------------------------------------------------- keyboard navigation


def test_walk_through_every_step_and_back(page):
    sequence = [at(s, k) for s in range(1, TOTAL + 1) for k in range(1, STEPS[s] + 1)]
    for expected in sequence[1:]:
        press(page, "ArrowRight")
        assert state(page) == expected
    press(page, "ArrowRight")  # at the very end: stays
    assert state(page) == sequence[-1]
    for expected in reversed(sequence[:-1]):
        press(page, "ArrowLeft")
        assert state(page) == expected
    press(page, "ArrowLeft")  # at the very start: stays
    assert state(page) == at(1)


@pytest.mark.parametrize("key", ["ArrowRight", "ArrowDown", "Space", "PageDown", "Enter", "n"])
def test_next_keys(page, key):
    press(page, key)
    assert state(page) == at(2, 1)
    press(page, key)
    assert state(page) == at(2, 2)


@pytest.mark.parametrize("key", ["ArrowLeft", "ArrowUp", "PageUp", "Backspace", "p"])
def test_prev_keys(page, key):
    page.evaluate("window.deck.go(3, 1)")
    press(page, key)
    assert state(page) == at(2, 3), "going back into a slide lands on its last step"
    press(page, key)
    assert state(page) == at(2, 2)


def test_home_end(page):
    press(page, "End")
    assert state(page) == at(TOTAL, STEPS[TOTAL])
    assert visible_slides(page) == [f"slide-{TOTAL}"]
    press(page, "Home")
    assert state(page) == at(1, 1)
    assert visible_slides(page) == ["slide-1"]


def test_modified_keys_are_left_to_the_browser(page):
    press(page, "Control+ArrowRight", "Alt+n")
    assert state(page) == at(1)


# ---------------------------------------------------------------- steps


def test_data_step_visibility(page):
    page.evaluate("window.deck.go(2)")
    vis = lambda sel: style(page, sel, "visibility")  # noqa: E731
    assert (vis("#s2-always"), vis("#s2-step2"), vis("#s2-step3")) == ("visible", "hidden", "hidden")
    assert page.evaluate("document.getElementById('slide-2').dataset.currentStep") == "1"
    # hidden steps keep their place: the layout does not jump
    box_before = page.locator("#s2-step3").bounding_box()
    press(page, "ArrowRight")
    assert (vis("#s2-always"), vis("#s2-step2"), vis("#s2-step3")) == ("visible", "visible", "hidden")
    press(page, "ArrowRight")
    assert (vis("#s2-always"), vis("#s2-step2"), vis("#s2-step3")) == ("visible", "visible", "visible")
    assert page.evaluate("document.getElementById('slide-2').dataset.currentStep") == "3"
    assert page.locator("#s2-step3").bounding_box() == box_before
    press(page, "ArrowLeft")
    assert vis("#s2-step3") == "hidden"


def test_swap_in_and_out(page):
    page.evaluate("window.deck.go(3)")
    assert style(page, "#s3-blank", "display") != "none"
    assert style(page, "#s3-answer", "display") == "none"
    press(page, "ArrowRight")
    assert state(page) == at(3, 2)
    assert style(page, "#s3-blank", "display") == "none"
    assert style(page, "#s3-answer", "display") != "none"
    assert page.locator("#s3-answer").is_visible()
    press(page, "ArrowLeft")
    assert style(page, "#s3-blank", "display") != "none"
    assert style(page, "#s3-answer", "display") == "none"


# ---------------------------------------------------------------- URL fragment


def test_fragment_follows_every_move_and_survives_reload(page):
    assert fragment(page) == "#/1"
    press(page, "ArrowRight")
    assert fragment(page) == "#/2"
    press(page, "ArrowRight")
    assert fragment(page) == "#/2/2"
    history_length = page.evaluate("history.length")
    press(page, "ArrowRight", "ArrowRight")
    assert fragment(page) == "#/3"
    press(page, "ArrowLeft")
    assert fragment(page) == "#/2/3"
    press(page, "ArrowLeft")
    assert fragment(page) == "#/2/2"
    assert page.evaluate("history.length") == history_length, "replaceState, not pushState"
    page.reload()
    assert state(page) == at(2, 2)
    assert style(page, "#s2-step2", "visibility") == "visible"
    assert style(page, "#s2-step3", "visibility") == "hidden"
    assert visible_slides(page) == ["slide-2"]


@pytest.mark.parametrize(
    "suffix, expected, canonical",
    [
        ("#/3/2", at(3, 2), "#/3/2"),
        ("#/4", at(4, 1), "#/4"),
        ("#/99/9", at(5, 2), "#/5/2"),
        ("#/0", at(1, 1), "#/1"),
        ("#/2/0", at(2, 1), "#/2"),
        ("#/2/7", at(2, 3), "#/2/3"),
        ("#slide-4", at(4, 1), "#/4"),
        ("#nonsense", at(1, 1), "#/1"),
    ],
)
def test_load_with_fragment(browser, deck_path, suffix, expected, canonical):
    with page_for(browser, deck_path, url_suffix=suffix) as p:
        assert state(p) == expected
        assert fragment(p) == canonical


def test_hashchange_moves(page):
    page.evaluate("location.hash = '#/3/2'")
    wait_state(page, 3, 2)
    page.evaluate("location.hash = '#/5'")
    wait_state(page, 5, 1)
    page.evaluate("location.hash = '#code-title'")  # an element inside slide 4
    wait_state(page, 4, 1)
    assert fragment(page) == "#/4"


# ---------------------------------------------------------------- mouse and touch


def test_click_zones(page):
    page.mouse.click(1000, 360)
    assert state(page) == at(2, 1)
    page.mouse.click(700, 360)  # middle third: next
    assert state(page) == at(2, 2)
    page.mouse.click(100, 360)  # left third: previous
    assert state(page) == at(2, 1)


def test_click_on_link_or_selection_does_not_navigate(page):
    page.evaluate("window.deck.go(4)")
    page.evaluate("document.getElementById('s4-link').addEventListener('click', e => e.preventDefault())")
    page.click("#s4-link")
    assert state(page) == at(4)
    box = page.locator("#s4-text").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, y, steps=5)
    page.mouse.move(box["x"] + box["width"] - 2, y, steps=5)
    page.mouse.up()
    assert page.evaluate("String(getSelection())") != ""
    assert state(page) == at(4)


def swipe(cdp, x0: float, x1: float, y: float) -> None:
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y}]})
    for i in range(1, 6):
        x = x0 + (x1 - x0) * i / 5
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_touch_swipe(browser, deck_path):
    with page_for(browser, deck_path, has_touch=True, fresh=True) as p:  # a CDP session of its own
        cdp = p.context.new_cdp_session(p)
        swipe(cdp, 900, 300, 360)  # swipe left: next
        wait_state(p, 2, 1)
        swipe(cdp, 900, 300, 360)
        wait_state(p, 2, 2)
        swipe(cdp, 300, 900, 360)  # swipe right: previous
        wait_state(p, 2, 1)
