"""Real decks in Chromium: decks built by the real pipeline, then driven with the keyboard and the URL.

- a small deck with steps, notes and several slides: navigation, steps, fragments, overview, presenter
  sync, a screenshot of its first slide;
- the flagship deck (HTML): every step reachable, the presenter view (a screenshot is kept);
- `python build.py --watch`: reload in place after an edit (timed), the build-error overlay over the last
  good deck, and a build process that dies.
"""
from __future__ import annotations

import io
import os
import textwrap
import time
from pathlib import Path

import pytest
from browser import page_for
from PIL import Image, ImageStat
from watch_process import WatchProcess

WAIT_MS = 30_000

SOURCE = """
    ---
    title: Browser deck
    lang: en
    ---
    # Alpha slide

    First paragraph.

    . . .

    Second step text.

    . . .

    Third step text.

    ::: notes
    Notes for alpha.
    :::

    ---

    # Beta slide

    ::: incremental
    - beta one
    - beta two
    :::

    ---

    # Gamma slide

    Before the pause.

    . . .

    The word is {word}.

    ---

    # Delta slide

    ```{{python}}
    #| output: comment
    x = 6
    {cell}
    ```
    """
STEPS = {1: 1, 2: 3, 3: 2, 4: 2, 5: 1}


def write_source(root: Path, word: str = "apple", cell: str = "x * 7") -> Path:
    path = root / "slides_src" / "t.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(SOURCE.format(word=word, cell=cell)).lstrip("\n"), encoding="utf-8")
    return path


def state(page) -> tuple[int, int]:
    s = page.evaluate("window.deck.state()")
    return s["slide"], s["step"]


def wait_state(page, slide: int, step: int = 1) -> None:
    page.wait_for_function("([a, b]) => window.deck && window.deck.state().slide === a"
                           " && window.deck.state().step === b", arg=[slide, step], timeout=WAIT_MS)


def visible_text(page) -> str:
    return page.evaluate("document.querySelector('.slide.deck-current').innerText")


def assert_not_blank(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png)).convert("L")
    low, high = image.getextrema()
    assert high - low > 100, "the screenshot has no contrast"
    assert ImageStat.Stat(image).stddev[0] > 8, "the screenshot is (nearly) uniform"
    histogram = image.histogram()
    background = max(histogram)
    assert sum(histogram) - background > 0.01 * sum(histogram), "less than 1% of the pixels are drawn"
    return image


# --------------------------------------------------------------------------------- a small real deck

@pytest.fixture(scope="module")
def small_html(tmp_path_factory) -> Path:
    from deck.pipeline import BuildOptions, build_deck

    root = tmp_path_factory.mktemp("browser-deck")
    source = write_source(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DECK_CACHE_DIR", str(root / ".deck_cache"))
        report = build_deck(source, BuildOptions(project_root=root, pdf=False))
    assert not report.problems
    assert {s.index: s.steps for s in report.deck.slides} == STEPS
    return report.outputs[0]


def test_keyboard_steps_and_fragments(browser, small_html):
    def body(browser):
        with page_for(browser, small_html) as page:
            wait_state(page, 1, 1)
            assert page.title() == "Browser deck"
            page.keyboard.press("ArrowRight")
            wait_state(page, 2, 1)
            assert page.evaluate("location.hash") == "#/2"
            text = visible_text(page)
            assert "First paragraph." in text and "Second step text." not in text
            page.keyboard.press("Space")
            wait_state(page, 2, 2)
            assert page.evaluate("location.hash") == "#/2/2"
            assert "Second step text." in visible_text(page) and "Third step text." not in visible_text(page)
            page.keyboard.press("PageDown")
            page.keyboard.press("ArrowRight")
            wait_state(page, 3, 1)
            assert visible_text(page).count("beta") == 1  # an incremental list: one item at a time
            page.keyboard.press("ArrowLeft")
            wait_state(page, 2, 3)  # back into the previous slide's last step
            page.keyboard.press("End")
            wait_state(page, 5, 1)
            assert "# 42" in visible_text(page)  # the live cell's result comment
            page.keyboard.press("Home")
            wait_state(page, 1, 1)
            assert page.evaluate("location.hash") == "#/1"

    body(browser)


def test_fragment_opens_the_step_and_reload_keeps_it(browser, small_html):
    def body(browser):
        with page_for(browser, small_html, url_suffix="#/4/2") as page:
            wait_state(page, 4, 2)
            assert "The word is apple." in visible_text(page)
            page.evaluate("window.deck.go(2, 3)")
            assert page.evaluate("location.hash") == "#/2/3"
            page.reload()
            wait_state(page, 2, 3)
            assert "Third step text." in visible_text(page)
            page.evaluate("location.hash = '#/3/2'")
            wait_state(page, 3, 2)
            page.evaluate("location.hash = '#/99/9'")  # out of range: clamped to the last slide
            wait_state(page, 5, 1)

    body(browser)


def test_overview_opens_and_picks_a_slide(browser, small_html):
    def body(browser):
        with page_for(browser, small_html) as page:
            wait_state(page, 1, 1)
            page.keyboard.press("o")
            page.wait_for_function("document.documentElement.classList.contains('deck-overview')", timeout=WAIT_MS)
            assert page.locator("#deck > .slide").count() == 5
            page.click("#slide-4")
            wait_state(page, 4, 1)
            assert not page.evaluate("document.documentElement.classList.contains('deck-overview')")

    body(browser)


@pytest.mark.slow
def test_presenter_view_follows_and_leads(browser, small_html):
    def body(browser):
        with page_for(browser, small_html, url_suffix="#/2") as page:
            wait_state(page, 2, 1)
            with page.expect_popup(timeout=WAIT_MS) as popup_info:
                page.keyboard.press("s")
            presenter = popup_info.value
            presenter.wait_for_function("window.deck && window.deck.isPresenter", timeout=WAIT_MS)
            wait_state(presenter, 2, 1)
            notes = presenter.locator(".deck-presenter-notes")
            assert "Notes for alpha." in notes.inner_text()
            assert presenter.get_attribute(".deck-preview", "data-preview-step") == "2"
            page.keyboard.press("ArrowRight")  # the audience window leads...
            wait_state(presenter, 2, 2)
            presenter.keyboard.press("ArrowRight")  # ...and the presenter too
            presenter.keyboard.press("ArrowRight")
            wait_state(page, 3, 1)
            wait_state(presenter, 3, 1)
            assert "(no notes)" in notes.inner_text()

    body(browser)


def test_first_slide_screenshot_is_not_blank(browser, small_html):
    def body(browser):
        with page_for(browser, small_html) as page:
            wait_state(page, 1, 1)
            image = assert_not_blank(page.screenshot())
            assert image.size == (1280, 720)

    body(browser)


# --------------------------------------------------------------------------------- the flagship deck

@pytest.fixture(scope="module")
def flagship_html(built_flagship) -> Path:
    return built_flagship.html


def test_flagship_every_step_is_reachable(browser, flagship_html):
    def body(browser):
        with page_for(browser, flagship_html) as page:
            wait_state(page, 1, 1)
            total = page.evaluate("window.deck.state().total")
            expected = page.evaluate("Array.from(document.querySelectorAll('#deck > .slide'))"
                                     ".map(s => Math.max(1, +s.dataset.steps))")
            assert total == len(expected) >= 10
            seen = [state(page)]
            while page.evaluate("window.deck.next()"):
                seen.append(state(page))
            assert seen == [(n, k) for n in range(1, total + 1) for k in range(1, expected[n - 1] + 1)]
            assert page.evaluate("location.hash") == f"#/{total}" + (f"/{expected[-1]}" if expected[-1] > 1 else "")

    body(browser)


def test_flagship_presenter_view(browser, flagship_html, tmp_path_factory):
    def body(browser):
        # slide 3, nn.Linear, has speaker notes
        with page_for(browser, flagship_html, url_suffix="#/3", viewport=(1280, 800)) as page:
            wait_state(page, 3, 1)
            with page.expect_popup(timeout=WAIT_MS) as popup_info:
                page.keyboard.press("s")
            presenter = popup_info.value
            presenter.set_viewport_size({"width": 1280, "height": 800})
            presenter.wait_for_function("window.deck && window.deck.isPresenter", timeout=WAIT_MS)
            wait_state(presenter, 3, 1)
            notes = presenter.locator(".deck-presenter-notes").inner_text()
            assert "Le biais ajoute un poids par neurone" in notes
            assert "3 / " in presenter.locator(".deck-presenter-counter").inner_text()
            presenter.evaluate("document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() =>"
                               " requestAnimationFrame(r))))")  # fonts loaded, the preview's scale applied
            png = presenter.screenshot()
            assert_not_blank(png)
            target = Path(os.environ.get("DECK_SCREENSHOTS") or tmp_path_factory.mktemp("shots")) / "presenter.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(png)
            print(f"presenter view screenshot: {target}")

    body(browser)


# --------------------------------------------------------------------------------- --watch in the browser

@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    root = tmp_path_factory.mktemp("watched")
    write_source(root)
    watch = WatchProcess(root)
    try:
        watch.wait_status(lambda s: s["builds"] == 1)
        yield watch
    finally:
        watch.stop()
    assert watch.proc.returncode == 0, watch.stderr


def edit_and_wait(watch: WatchProcess, **source) -> None:
    """Write a good source and wait for its build (the state each watch test starts from)."""
    builds = watch.status()["builds"]
    write_source(watch.root, **source)
    watch.wait_status(lambda s: s["builds"] > builds and s["error"] is None)


def overlay_text(page) -> str | None:
    return page.evaluate("(() => { const o = document.getElementById('deck-watch-overlay');"
                         " return o ? o.innerText : null; })()")


def test_watch_reloads_in_place_after_an_edit(browser, watched, capsys, record_property):
    edit_and_wait(watched, word="apple")

    def body(browser):
        with page_for(browser, url_suffix="") as page:
            page.goto(watched.url + "t.html#/4/2")
            wait_state(page, 4, 2)
            page.wait_for_function("window.deckWatch !== undefined", timeout=WAIT_MS)
            assert "The word is apple." in visible_text(page)
            page.wait_for_function("window.deckWatch.connected", timeout=WAIT_MS)
            start = time.time()
            write_source(watched.root, word="banana")
            page.wait_for_function("document.querySelector('.slide.deck-current') &&"
                                   " document.querySelector('.slide.deck-current').innerText.includes('banana')",
                                   timeout=WAIT_MS, polling=10)
            seen = time.time() - start
            loaded = page.evaluate("performance.timeOrigin + performance.getEntriesByType('navigation')[0]"
                                   ".domContentLoadedEventEnd") / 1000 - start
            wait_state(page, 4, 2)
            assert page.evaluate("location.hash") == "#/4/2"
            assert "The word is banana." in visible_text(page)
            assert overlay_text(page) is None
        return seen, loaded

    seen, loaded = body(browser)
    record_property("edit_to_page_seconds", round(seen, 3))
    with capsys.disabled():
        print(f"\n--watch: edit saved -> new word on the page in {seen:.3f} s "
              f"(reloaded page ready {loaded:.3f} s after the save)")
    assert seen < 5


def test_watch_error_overlay_over_the_last_good_deck(browser, watched):
    edit_and_wait(watched, word="cherry")

    def body(browser):
        with page_for(browser) as page:
            page.goto(watched.url + "t.html#/4/2")
            wait_state(page, 4, 2)
            page.wait_for_function("window.deckWatch.connected", timeout=WAIT_MS)
            write_source(watched.root, word="cherry", cell="x / 0")
            page.wait_for_function("document.getElementById('deck-watch-overlay')", timeout=WAIT_MS)
            text = overlay_text(page)
            assert "Build failed" in text
            assert "slides_src/t.md:47 (slide 5): cell raised ZeroDivisionError: division by zero" in text
            assert "x / 0" in text
            # the last good deck is still there, on the same slide and step, visible above the overlay
            assert state(page) == (4, 2) and "The word is cherry." in visible_text(page)
            box = page.locator("#deck-watch-overlay").bounding_box()
            assert box["height"] < 720 * 0.5 and box["y"] > 300
            write_source(watched.root, word="damson")
            page.wait_for_function("!document.getElementById('deck-watch-overlay') &&"
                                   " document.body.innerText.includes('damson')", timeout=WAIT_MS)
            wait_state(page, 4, 2)

    body(browser)


def test_watch_survives_a_build_process_that_dies(browser, watched):
    edit_and_wait(watched, word="elder")

    def body(browser):
        with page_for(browser) as page:
            page.goto(watched.url + "t.html#/5")
            wait_state(page, 5, 1)
            page.wait_for_function("window.deckWatch.connected", timeout=WAIT_MS)
            write_source(watched.root, word="elder", cell="import os; os._exit(1)")
            page.wait_for_function("document.getElementById('deck-watch-overlay')", timeout=WAIT_MS)
            assert "the build process died while building t (exit code 1)" in overlay_text(page)
            assert b"The word is elder." in watched.get("t.html")  # still serving the last good deck
            assert "# 42" in visible_text(page)
            write_source(watched.root, word="fig", cell="x * 8")
            page.wait_for_function("!document.getElementById('deck-watch-overlay') &&"
                                   " document.body.innerText.includes('# 48')", timeout=WAIT_MS)
            wait_state(page, 5, 1)

    body(browser)
    assert "error: the build process died while building t (exit code 1)" in watched.stderr
