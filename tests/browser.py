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
            b.close()


def file_url(path: os.PathLike | str) -> str:
    return Path(path).resolve().as_uri()


@contextlib.contextmanager
def page_for(
    browser,
    path: os.PathLike | str | None = None,
    *,
    url_suffix: str = "",
    viewport: tuple[int, int] = (1280, 720),
    fail_on_js_error: bool = True,
    **context_kwargs,
) -> Iterator[object]:
    """Open ``path`` (a local file) in a fresh browser context and yield the page.

    ``url_suffix`` is appended to the file URL (e.g. ``"#/3/2"``). JavaScript
    exceptions raised by the page (``pageerror``), in it or in any popup it
    opens, fail the test when the block exits, unless ``fail_on_js_error`` is
    false. The context (and its popups) is closed on exit.
    """
    # Playwright's wait_for_function evaluates its predicate with eval, which the deck's
    # Content-Security-Policy forbids (no 'unsafe-eval'): these tests are about the deck, not its
    # policy, which tests/test_attacks_svg_styles.py checks in a context of its own
    context_kwargs.setdefault("bypass_csp", True)
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, **context_kwargs
    )
    errors: list[str] = []
    watched: set[int] = set()

    def watch(page):
        if id(page) in watched:
            return
        watched.add(id(page))
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))

    context.on("page", watch)
    try:
        page = context.new_page()
        watch(page)
        if path is not None:
            page.goto(file_url(path) + url_suffix)
        yield page
    finally:
        context.close()
    if fail_on_js_error and errors:
        raise AssertionError("JavaScript errors in the page:\n" + "\n".join(errors))


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
