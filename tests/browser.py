"""Shared helpers for browser tests: launch the system Chromium via Playwright.

Use from a test module::

    from browser import browser, page_for  # noqa: F401  (``browser`` is a fixture)

    def test_something(browser, tmp_path):
        with page_for(browser, tmp_path / "deck.html") as page:
            ...

The ``browser`` fixture FAILS (never skips) when Chromium or Playwright is
missing: CI installs Chromium, so a missing browser is a broken environment.
Playwright's own browser download is not used; set ``DECK_CHROMIUM`` to point
at another Chromium binary.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = os.environ.get("DECK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "deck" / "render" / "runtime"


def chromium_path() -> str:
    """The Chromium executable to use, or fail the test with a clear message."""
    path = CHROMIUM
    if not os.path.isabs(path):
        path = shutil.which(path) or path
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {path!r}: browser tests need it "
            "(Debian: apt-get install chromium; or set DECK_CHROMIUM=/path/to/chromium).",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium shared by the whole session."""
    exe = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"playwright is not installed ({exc}): pip install playwright", pytrace=False)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            _TABS.clear()
            b.close()


def file_url(path: os.PathLike | str) -> str:
    return Path(path).resolve().as_uri()


class _Tab:
    """A context and its page, kept open between tests: opening a fresh context and page cost about
    0.75 s of CPU (Chromium's renderer start), a navigation of a page already open 0.25 s, and this
    suite opens a page about 200 times. ``errors`` is the list of the test using the tab now."""

    def __init__(self, browser, options: dict):
        self.context = browser.new_context(**options)
        self.errors: list[str] = []
        self.page = None
        self.context.on("page", self.watch)

    def watch(self, page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))

    def open_page(self):
        if self.page is None or self.page.is_closed():
            self.page = self.context.new_page()
        return self.page

    def reset(self) -> None:
        """Leave nothing for the next test: its popups closed, this file's storage cleared, and the
        page on about:blank (no timer of the deck left running, and the next test's `goto` a real
        load, never a same-document jump to a fragment)."""
        for other in self.context.pages:
            if other is not self.page:
                other.close()
        page = self.page
        if page is None or page.is_closed():
            return
        if page.url.startswith(("file:", "http:")):
            page.evaluate("() => { try { localStorage.clear(); sessionStorage.clear(); } catch (e) {} }")
        page.goto("about:blank")
        page.mouse.move(0, 0)
        page.emulate_media(media="no-override")


_TABS: dict[tuple[int, str], _Tab] = {}


@contextlib.contextmanager
def page_for(
    browser,
    path: os.PathLike | str | None = None,
    *,
    url_suffix: str = "",
    viewport: tuple[int, int] = (1280, 720),
    fail_on_js_error: bool = True,
    fresh: bool = False,
    **context_kwargs,
) -> Iterator[object]:
    """Open ``path`` (a local file) and yield the page.

    ``url_suffix`` is appended to the file URL (e.g. ``"#/3/2"``). JavaScript
    exceptions raised by the page (``pageerror``), in it or in any popup it
    opens, fail the test when the block exits, unless ``fail_on_js_error`` is
    false. Popups are closed on exit.

    The page is one kept open for the tests with the same context options (see ``_Tab``), reset
    between them; ``fresh=True`` gives a context of its own, closed on exit, to a test that changes
    what a navigation does not reset (emulated media, a CDP session, listeners of its own). A test
    that fails leaves its context behind it: it is closed, and the next test gets a new one.
    """
    # Playwright's wait_for_function evaluates its predicate with eval, which the deck's
    # Content-Security-Policy forbids (no 'unsafe-eval'): these tests are about the deck, not its
    # policy, which tests/test_attacks_svg_styles.py checks in a context of its own
    context_kwargs.setdefault("bypass_csp", True)
    key = (id(browser), repr(sorted(context_kwargs.items())))
    tab = None if fresh else _TABS.pop(key, None)
    if tab is None:
        tab = _Tab(browser, context_kwargs)
    tab.errors = []
    page = tab.open_page()
    size = {"width": viewport[0], "height": viewport[1]}
    if page.viewport_size != size:
        page.set_viewport_size(size)
    kept = False
    try:
        if path is not None:
            page.goto(file_url(path) + url_suffix)
        yield page
        if not fresh:
            tab.reset()
            _TABS[key] = tab
            kept = True
    finally:
        if not kept:
            tab.context.close()
    if fail_on_js_error and tab.errors:
        raise AssertionError("JavaScript errors in the page:\n" + "\n".join(tab.errors))


def runtime_sources() -> tuple[str, str]:
    """(deck.js, the CSS) as the engine inlines them: runtime.css after the engine's step rules,
    which show and hide what each step shows (the same rules as the PDF's)."""
    from deck.render.steps import step_css

    js = (RUNTIME_DIR / "deck.js").read_text(encoding="utf-8")
    css = step_css(12, screen_only=True) + "\n" + (RUNTIME_DIR / "runtime.css").read_text(encoding="utf-8")
    return js, css


def inline_runtime(html: str) -> str:
    """Replace the ``/*RUNTIME_CSS*/`` and ``/*RUNTIME_JS*/`` markers of a fixture."""
    assert "/*RUNTIME_CSS*/" in html and "/*RUNTIME_JS*/" in html, "fixture lacks runtime markers"
    js, css = runtime_sources()
    return html.replace("/*RUNTIME_CSS*/", css).replace("/*RUNTIME_JS*/", js)
