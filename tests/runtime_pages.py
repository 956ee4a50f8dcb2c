"""Pages for the runtime's browser tests: the hand-made fixture deck with deck.js inlined, and helpers.

The fixture tests/fixtures/runtime_fixture.html follows the engine's DOM contract with a placeholder
theme; the runtime is inlined into it at test time and the page is opened from file:// in Chromium.
The `deck_path` and `page` fixtures are registered in conftest.py (one Chromium for the session).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import inline_runtime, page_for

FIXTURE = Path(__file__).parent / "fixtures" / "runtime_fixture.html"
TOTAL = 5
STEPS = {1: 1, 2: 3, 3: 2, 4: 1, 5: 2}


def write_deck(tmp_path: Path, html: str | None = None, name: str = "deck.html") -> Path:
    html = FIXTURE.read_text(encoding="utf-8") if html is None else html
    out = tmp_path / name
    out.write_text(inline_runtime(html), encoding="utf-8")
    return out


def minimal_deck(sections: list[tuple[int, str, str | None]], lang: str = "en") -> str:
    """A page following the contract; sections are (steps, content, notes)."""
    n = len(sections)
    parts = []
    for i, (steps, content, notes) in enumerate(sections, 1):
        aside = f'<aside class="notes">{notes}</aside>' if notes is not None else ""
        parts.append(
            f'<section class="slide" id="slide-{i}" data-index="{i}" data-steps="{steps}" '
            f'aria-roledescription="slide" aria-label="{i} / {n} : S{i}">'
            f'<div class="slide-content">{content}</div>'
            f'<div class="slide-number">{i} / {n}</div>{aside}</section>'
        )
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>T</title>'
        "<style>.slide{width:960px;height:540px;position:relative;overflow:hidden;background:#fff}</style>"
        "<style>/*RUNTIME_CSS*/</style></head><body class=\"deck-body\">"
        f'<main class="deck" id="deck" data-title="T" data-total="{n}">{"".join(parts)}</main>'
        "<script>/*RUNTIME_JS*/</script></body></html>"
    )


def state(page) -> dict:
    s = page.evaluate("window.deck.state()")
    return {"slide": s["slide"], "step": s["step"]}


def at(slide: int, step: int = 1) -> dict:
    return {"slide": slide, "step": step}


def wait_state(page, slide: int, step: int = 1, timeout: float = 20_000) -> None:
    # a condition awaited: the limit costs time only when the test fails (5 s was passed once under
    # the full suite's load, by a presenter window's localStorage hello on 2 busy cores)
    page.wait_for_function(
        "([a, b]) => window.deck && window.deck.state().slide === a && window.deck.state().step === b",
        arg=[slide, step],
        timeout=timeout,
    )


def fragment(page) -> str:
    return page.evaluate("location.hash")


def style(page, selector: str, prop: str) -> str:
    return page.evaluate(
        "([s, p]) => getComputedStyle(document.querySelector(s)).getPropertyValue(p)",
        [selector, prop],
    )


def visible_slides(page) -> list[str]:
    return page.evaluate(
        "[...document.querySelectorAll('#deck > .slide')]"
        ".filter(s => getComputedStyle(s).display !== 'none').map(s => s.id)"
    )


def press(page, *keys: str) -> None:
    for k in keys:
        page.keyboard.press(k)


@pytest.fixture
def deck_path(tmp_path):
    return write_deck(tmp_path)


@pytest.fixture
def page(browser, deck_path):
    with page_for(browser, deck_path) as p:
        yield p
