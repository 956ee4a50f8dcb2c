"""SVG from anywhere (a cell, the cache, an image) keeps styles from an allow-list only, and the HTML
deck forbids fetches to other origins (Content-Security-Policy), checked in Chromium."""
from __future__ import annotations

import http.server
import json
import threading

import pytest
from helpers_for_tests import cache_entries, html, rewrite_entry

from deck.errors import Location
from deck.render.math import render_math
from deck.shared.svg import is_safe_svg, safe_svg

NS = 'xmlns="http://www.w3.org/2000/svg"'
FETCHING = [
    'fill: image-set("http://127.0.0.1:9/a.png" 1x)',
    r"fill: u\72l(http://127.0.0.1:9/a.png)",
    "fill: url(http://127.0.0.1:9/a.png)",
    "background: red",                        # not a presentation property of the list
    "fill: red; @import 'http://127.0.0.1:9/x.css'",
    "fill: var(--x)",
]


@pytest.mark.parametrize("style", FETCHING)
def test_a_style_attribute_beyond_the_allow_list_is_dropped(style):
    svg = f'<svg {NS}><rect width="1" height="1" style="{style.replace(chr(34), "&quot;")}"/></svg>'
    cleaned = safe_svg(svg)
    assert "style=" not in cleaned and "127.0.0.1" not in cleaned and "<rect" in cleaned
    assert not is_safe_svg(svg)


@pytest.mark.parametrize("style", FETCHING)
def test_a_style_element_beyond_the_allow_list_is_dropped(style):
    svg = f"<svg {NS}><style>rect {{{style}}}</style><rect width='1' height='1'/></svg>"
    assert "<style" not in safe_svg(svg)


def test_a_presentation_attribute_that_fetches_is_dropped():
    cleaned = safe_svg(f'<svg {NS}><rect fill="url(http://127.0.0.1:9/a)" stroke="#000" width="1"/></svg>')
    assert "fill=" not in cleaned and 'stroke="#000"' in cleaned


def test_what_matplotlib_and_math_write_is_kept():
    plain = (f'<svg {NS} style="width:1.2em;height:1em;vertical-align:-0.2em"><style type="text/css">#f1 *'
             "{stroke-linejoin: round; stroke-linecap: butt}</style><g clip-path=\"url(#p1)\" "
             "transform=\"matrix(1 0 0 -1 0 1e-05) rotate(-90 1 2)\"><path d=\"M 0 0 L 1 1\" style=\"fill: "
             "#1f77b4; stroke-width: 0.8; font: 10px 'Source Sans 3'; stroke-dasharray: 1, 2\"/></g></svg>")
    assert is_safe_svg(plain)


def test_planted_math_svg_signed_by_a_key_holder_is_drawn_again(tmp_path):
    where = Location(tmp_path / "d.md", 3)
    first = render_math("x^2", False, where, tmp_path)
    [stored] = cache_entries(tmp_path, "math")
    planted = b'<path style="fill: image-set(&quot;http://127.0.0.1:9/a&quot; 1x)" '
    rewrite_entry(stored, lambda svg: svg.replace(b"<path ", planted, 1))
    assert render_math("x^2", False, where, tmp_path) == first


class _Listener(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the standard library's name
        _Listener.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.mark.slow
def test_the_html_deck_fetches_nothing_from_other_origins(tmp_path, browser):
    """Whatever slipped into a deck's HTML, Chromium refuses to fetch it: images, styles, fonts and
    scripts from elsewhere (the deck inlines everything it needs)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    page_html = html("# A\n\ntext\n", tmp_path)
    assert "Content-Security-Policy" in page_html
    planted = (f'<img src="{base}/img"><link rel="stylesheet" href="{base}/css">'
               f'<svg {NS}><rect width="9" height="9" style="fill: image-set(&quot;{base}/set&quot; 1x)"/></svg>'
               f"<script>fetch({json.dumps(base + '/fetch')}).catch(function(){{}});</script>")
    target = tmp_path / "deck.html"
    target.write_text(page_html.replace("</main>", planted + "</main>"), encoding="utf-8")
    page = browser.new_page()
    try:
        page.goto(target.as_uri())
        page.wait_for_timeout(500)  # what a fetch would need on the loopback interface, many times over
        assert page.locator("#deck").count() == 1  # the deck itself still runs
    finally:
        page.close()
        server.shutdown()
    assert _Listener.hits == []
