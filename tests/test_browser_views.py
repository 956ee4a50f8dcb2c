"""Browser tests of the slide runtime (deck/render/runtime/deck.js + runtime.css): overview, help, fullscreen, presenter view, rendering, API, robustness.

Pages and helpers: tests/runtime_pages.py; the Chromium session: tests/browser.py (via conftest).
"""

from __future__ import annotations

import io
import re

import pytest
from browser import page_for
from PIL import Image
from runtime_pages import TOTAL, at, fragment, minimal_deck, press, state, style, visible_slides, wait_state, write_deck

# ---------------------------------------------------------------- overview


def test_overview(page):
    page.evaluate("window.deck.go(2, 2)")
    press(page, "o")
    assert page.evaluate("document.documentElement.classList.contains('deck-overview')")
    assert visible_slides(page) == [f"slide-{i}" for i in range(1, TOTAL + 1)]
    # all steps shown in the grid, final state of swaps
    assert style(page, "#s2-step3", "visibility") == "visible"
    assert style(page, "#s3-answer", "display") != "none"
    assert style(page, "#s3-blank", "display") == "none"
    # thumbnails are small and keep 16:9
    box = page.locator("#slide-3").bounding_box()
    assert box["width"] < 640 and abs(box["width"] / box["height"] - 16 / 9) < 0.01
    assert page.locator(".slide.deck-selected").get_attribute("id") == "slide-2"
    press(page, "ArrowRight")
    assert page.locator(".slide.deck-selected").get_attribute("id") == "slide-3"
    press(page, "ArrowRight", "ArrowLeft")
    assert page.locator(".slide.deck-selected").get_attribute("id") == "slide-3"
    press(page, "Enter")
    assert state(page) == at(3, 1)
    assert not page.evaluate("document.documentElement.classList.contains('deck-overview')")
    assert visible_slides(page) == ["slide-3"]
    assert style(page, "#s3-answer", "display") == "none", "back to step 1 of the slide"

    # Escape toggles, and closing without choosing keeps the current slide
    press(page, "Escape")
    assert len(visible_slides(page)) == TOTAL
    press(page, "ArrowRight")
    press(page, "Escape")
    assert visible_slides(page) == ["slide-3"]
    assert state(page) == at(3, 1)
    # clicking a thumbnail goes there; the slide behind stays on its step
    page.evaluate("window.deck.go(2, 1)")
    press(page, "o")
    assert style(page, "#s2-step3", "visibility") == "visible"
    page.locator("#slide-5").click()
    assert state(page) == at(5, 1)
    assert visible_slides(page) == ["slide-5"]
    assert page.evaluate("document.getElementById('slide-1').inert") is True
    assert style(page, "#s5-step2", "visibility") == "hidden"


def test_overview_down_moves_by_row(page):
    press(page, "o")
    cols = page.evaluate(
        "(() => { const s = [...document.querySelectorAll('#deck > .slide')];"
        " const t = s[0].getBoundingClientRect().top;"
        " return s.filter(x => Math.abs(x.getBoundingClientRect().top - t) < 2).length; })()"
    )
    assert 1 < cols < TOTAL
    press(page, "ArrowDown")
    assert page.locator(".slide.deck-selected").get_attribute("id") == f"slide-{1 + cols}"
    press(page, "ArrowUp")
    assert page.locator(".slide.deck-selected").get_attribute("id") == "slide-1"


# ---------------------------------------------------------------- help overlay


def test_help_overlay(page):
    help_ = page.locator(".deck-help")
    assert not help_.is_visible()
    press(page, "?")
    assert help_.is_visible()
    text = help_.inner_text()
    for label in ("Étape ou diapositive suivante", "Vue d'ensemble", "Vue présentateur", "Plein écran"):
        assert label in text
    press(page, "?")
    assert not help_.is_visible()
    press(page, "h")
    assert help_.is_visible()
    press(page, "Escape")
    assert not help_.is_visible()
    assert state(page) == at(1)
    assert not page.evaluate("document.documentElement.classList.contains('deck-overview')")


# ---------------------------------------------------------------- fullscreen


def test_fullscreen_toggle(page):
    press(page, "f")
    page.wait_for_function("document.fullscreenElement === document.documentElement", timeout=5000)
    press(page, "f")
    page.wait_for_function("document.fullscreenElement === null", timeout=5000)


# ---------------------------------------------------------------- presenter view


def open_presenter(page):
    with page.context.expect_page() as info:
        press(page, "s")
    pres = info.value
    pres.wait_for_load_state()
    pres.wait_for_function("window.deck && document.querySelector('.deck-presenter-notes')")
    return pres


def test_presenter_view_and_two_way_sync(page):
    press(page, "ArrowRight")  # slide 2, step 1
    pres = open_presenter(page)
    assert "?presenter#/2" in pres.url
    assert pres.evaluate("document.documentElement.classList.contains('deck-presenter')")
    wait_state(pres, 2, 1)

    notes = pres.locator(".deck-presenter-notes")
    preview = pres.locator(".deck-preview")
    counter = pres.locator(".deck-presenter-counter")
    assert "dévoiler la liste" in notes.inner_text()
    assert re.fullmatch(r"\d\d:\d\d", pres.locator(".deck-presenter-timer").inner_text())
    assert counter.inner_text().startswith("2 / 5")
    # next preview = the next step of the same slide
    assert preview.locator(".slide").count() == 1
    assert preview.get_attribute("data-preview-slide") == "2"
    assert preview.get_attribute("data-preview-step") == "2"
    assert preview.locator("[data-step='2']").evaluate("e => getComputedStyle(e).visibility") == "visible"
    assert preview.locator("[data-step='3']").evaluate("e => getComputedStyle(e).visibility") == "hidden"
    # the current slide, at its step, is shown; the notes inside the slide are not
    assert visible_slides(pres) == ["slide-2"]
    assert pres.locator("#slide-2").is_visible()
    assert not pres.locator("#slide-2 aside.notes").is_visible()
    assert style(pres, "#s2-step2", "visibility") == "hidden"

    # presenter -> main
    press(pres, "ArrowRight")
    wait_state(pres, 2, 2)
    wait_state(page, 2, 2)
    assert style(page, "#s2-step2", "visibility") == "visible"
    assert fragment(page) == "#/2/2"
    press(pres, "ArrowRight", "ArrowRight")
    wait_state(page, 3, 1)
    assert notes.inner_text() == "(aucune note)"
    assert preview.get_attribute("data-preview-slide") == "3"
    assert preview.get_attribute("data-preview-step") == "2"
    assert preview.locator("[data-swap-in]").evaluate("e => getComputedStyle(e).display") != "none"

    # main -> presenter
    page.bring_to_front()
    press(page, "ArrowRight")
    wait_state(page, 3, 2)
    wait_state(pres, 3, 2)
    assert preview.get_attribute("data-preview-slide") == "4"
    press(page, "End")
    wait_state(pres, 5, 2)
    assert "conclure" in notes.inner_text()
    assert "Fin de la présentation" in preview.inner_text()
    page.evaluate("window.deck.go(1)")
    wait_state(pres, 1, 1)
    assert "saluer la salle" in notes.inner_text()
    assert counter.inner_text() == "1 / 5"
    # the main window still has no presenter chrome
    assert page.locator(".deck-presenter-notes").count() == 0


def test_presenter_timer_and_reset(page):
    pres = open_presenter(page)
    timer = pres.locator(".deck-presenter-timer")
    pres.wait_for_function(
        "document.querySelector('.deck-presenter-timer').textContent >= '00:02'", timeout=6000
    )
    press(pres, "r")
    assert timer.inner_text() in ("00:00", "00:01")
    assert state(pres) == at(1)


def test_presenter_resyncs_after_main_reload(page):
    pres = open_presenter(page)
    page.reload()
    page.wait_for_function("window.deck")
    # the presenter pings its opener every 2 s, so the reloaded main learns
    # about it again without the presenter having to move first
    page.wait_for_function("window.deck.peers() > 0", timeout=6000)
    page.evaluate("window.deck.go(4)")
    wait_state(pres, 4, 1)
    press(pres, "ArrowRight")
    wait_state(page, 5, 1)


def test_presenter_clicks(page):
    pres = open_presenter(page)
    pres.locator(".deck-preview").click()  # clicking the preview = next
    wait_state(pres, 2, 1)
    wait_state(page, 2, 1)
    box = pres.locator("#deck").bounding_box()
    pres.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2)
    wait_state(page, 2, 2)
    pres.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] / 2)
    wait_state(page, 2, 1)
    pres.locator(".deck-presenter-notes").click()  # the notes pane does not navigate
    assert state(pres) == at(2, 1)


@pytest.fixture
def http_root(tmp_path):
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_broadcast_channel_syncs_windows_over_http(browser, deck_path, http_root):
    """Served over http(s) (e.g. a watch server), windows without an opener link sync too."""
    with page_for(browser, None) as main:
        main.goto(http_root + deck_path.name)
        other = main.context.new_page()
        other.goto(http_root + deck_path.name + "?presenter")
        other.wait_for_function("window.deck && document.querySelector('.deck-presenter-notes')")
        press(main, "ArrowRight")
        wait_state(other, 2, 1)
        press(other, "ArrowRight")
        wait_state(main, 2, 2)


# ---------------------------------------------------------------- rendering


def test_first_slide_screenshot_is_not_blank(page):
    png = page.screenshot()
    img = Image.open(io.BytesIO(png)).convert("RGB")
    assert img.size == (1280, 720)
    colours = img.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 2
    extrema = img.convert("L").getextrema()
    assert extrema[1] - extrema[0] > 100, "no contrast: is the slide rendered?"
    # the title (red) is drawn
    assert any(r > 150 and g < 90 and b < 90 for _, (r, g, b) in colours)


@pytest.mark.parametrize("viewport", [(1600, 900), (800, 800), (1280, 720), (500, 1000)])
def test_scaling_keeps_16_9_and_centres(browser, deck_path, viewport):
    w, h = viewport
    with page_for(browser, deck_path, viewport=viewport) as p:
        box = p.locator("#slide-1").bounding_box()
        assert abs(box["width"] / box["height"] - 16 / 9) < 0.01
        scale = min(w / 960, h / 540)
        assert abs(box["width"] - 960 * scale) < 1.5
        assert abs(box["x"] + box["width"] / 2 - w / 2) < 1.5
        assert abs(box["y"] + box["height"] / 2 - h / 2) < 1.5
        # letterbox is dark
        assert p.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(17, 17, 17)"


def test_scaling_recomputed_on_resize(browser, deck_path):
    with page_for(browser, deck_path, viewport=(1600, 900)) as p:
        assert abs(p.locator("#slide-1").bounding_box()["width"] - 1600) < 1.5
        p.set_viewport_size({"width": 800, "height": 800})
        p.wait_for_function(
            "Math.abs(document.getElementById('slide-1').getBoundingClientRect().width - 800) < 1.5",
            timeout=3000,
        )
        box = p.locator("#slide-1").bounding_box()
        assert abs(box["height"] - 450) < 1.5 and abs(box["y"] - 175) < 1.5


def test_print_media_and_pdf(page):
    from pypdf import PdfReader

    page.evaluate("window.deck.go(2)")
    page.emulate_media(media="print")
    assert visible_slides(page) == [f"slide-{i}" for i in range(1, TOTAL + 1)]
    assert style(page, "#s2-step3", "visibility") == "visible"
    assert style(page, "#s5-step2", "visibility") == "visible"
    assert style(page, "#s3-blank", "display") == "none"
    assert style(page, "#s3-answer", "display") != "none"
    assert style(page, "#slide-1 aside.notes", "display") == "none"
    assert style(page, ".deck-help", "display") == "none"
    assert style(page, "#slide-2", "transform") == "none"
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == TOTAL
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 720) < 1 and abs(float(box.height) - 405) < 1  # 960x540 px in pt
    assert "Questions" in reader.pages[4].extract_text()
    assert "Notes cinq" not in reader.pages[4].extract_text()


# ---------------------------------------------------------------- API and hooks


def test_public_api_and_change_event(page):
    page.evaluate(
        "window.__changes = [];"
        "document.addEventListener('deck:change', e => window.__changes.push(e.detail))"
    )
    assert page.evaluate("typeof window.deck.go + typeof window.deck.next + typeof window.deck.prev") == (
        "function" * 3
    )
    page.evaluate("window.deck.go(2, 3)")
    page.evaluate("window.deck.prev()")
    page.evaluate("window.deck.next()")
    page.evaluate("window.deck.next()")
    page.evaluate("window.deck.go(3, 2)")
    page.evaluate("window.deck.go(3, 2)")  # no move: no event
    page.evaluate("window.deck.go(42, 42)")  # clamped
    assert page.evaluate("window.deck.state()") == {"slide": 5, "step": 2, "total": TOTAL, "steps": 2}
    assert page.evaluate("window.__changes") == [
        at(2, 3), at(2, 2), at(2, 3), at(3, 1), at(3, 2), at(5, 2),
    ]
    press(page, "Home")
    assert page.evaluate("window.__changes.at(-1)") == at(1, 1)


def test_no_network_requests(browser, deck_path):
    with page_for(browser, None, fresh=True) as p:  # a listener of its own
        urls = []
        p.on("request", lambda r: urls.append(r.url))
        p.goto(deck_path.resolve().as_uri())
        press(p, "ArrowRight", "o", "Escape", "?", "?")
        assert [u for u in urls if not u.startswith("file:")] == []


# ---------------------------------------------------------------- robustness


def test_single_slide_without_notes(browser, tmp_path):
    html = minimal_deck([(1, "<h1>Only</h1>", None)])
    with page_for(browser, write_deck(tmp_path, html), url_suffix="#/3/4") as p:
        assert p.evaluate("window.deck.state()") == {"slide": 1, "step": 1, "total": 1, "steps": 1}
        press(p, "ArrowRight", "ArrowLeft", "End", "Home", "o", "ArrowDown", "Enter", "?", "Escape")
        assert state(p) == at(1)
        pres = open_presenter(p)
        assert pres.locator(".deck-presenter-notes").inner_text() == "(no notes)"
        assert "End of presentation" in pres.locator(".deck-preview").inner_text()
        press(pres, "ArrowRight", "r")
        assert state(pres) == at(1)


def test_step_count_is_the_engines(browser, tmp_path):
    # How many steps a slide has is computed once, by the engine (data-steps); the runtime follows it
    html = minimal_deck([(3, '<p>a</p><p id="late" data-step="2">b</p>', "n"), (1, "<p>c</p>", "")])
    with page_for(browser, write_deck(tmp_path, html)) as p:
        assert p.evaluate("window.deck.state()")["steps"] == 3
        assert style(p, "#late", "visibility") == "hidden"
        press(p, "ArrowRight")
        assert state(p) == at(1, 2)
        assert style(p, "#late", "visibility") == "visible"
        press(p, "ArrowRight", "ArrowRight")
        assert state(p) == at(2, 1)


def test_empty_deck_does_not_throw(browser, tmp_path):
    html = minimal_deck([])
    with page_for(browser, write_deck(tmp_path, html)) as p:
        assert p.evaluate("window.deck.state()") == {"slide": 0, "step": 0, "total": 0, "steps": 0}
        press(p, "ArrowRight", "ArrowLeft", "o", "s", "?", "End", "f")
        p.evaluate("window.deck.go(3); window.deck.next(); window.deck.prev()")


def test_without_javascript_every_slide_is_readable(browser, deck_path):
    with page_for(browser, deck_path, java_script_enabled=False) as p:
        assert len(visible_slides(p)) == TOTAL
        assert style(p, "#s2-step3", "visibility") == "visible"
        assert style(p, "#s3-blank", "display") == "none"
        assert style(p, "#slide-1 aside.notes", "display") == "none"
