"""Figure text is text: <text> in the deck's font, inlined so that the page's fonts apply, found by
pdftotext in a WeasyPrint PDF, set in Source Sans 3 by Chromium; and the inlined SVG is safe."""

import re
import subprocess

import pytest
from browser import page_for  # noqa: F401  (the browser fixture comes from conftest)

from deck.render.assets import theme_css
from deck.shared.svg import DECK_FONT, figure_html, render_svg, safe_svg


@pytest.fixture(scope="module")
def resnet_fr():
    import figures

    return figures.architecture("resnet18", lang="fr")


def texts_of(svg):
    return re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)


def page_html(body: str) -> str:
    """A slide page of deck's theme (its fonts inlined) holding ``body``."""
    return (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><style>{theme_css("default")}'
            "@page { size: 960px 540px; margin: 0 } body { margin: 0 }</style></head><body>"
            f'<section class="slide"><div class="slide-content">{body}</div></section></body></html>')


def test_text_is_written_as_text_in_the_deck_font(resnet_fr):
    svg = resnet_fr.svg
    texts = texts_of(svg)
    assert "étage 1 · 56×56" in texts and "BasicBlock (canaux de sortie)" in texts and "512" in texts
    assert all(f"font-family: '{DECK_FONT}'" in t for t in re.findall(r"<text\b[^>]*>", svg))
    # no glyph outlines referenced through <use> any more
    assert "<use" not in svg and "DejaVuSans-" not in svg


def test_what_the_font_cannot_write_is_drawn_as_outlines():
    import figures

    conv = figures.conv_illustration(lang="fr")
    assert "∗" in conv.data["texts"] and "∗" not in "".join(texts_of(conv.svg))  # U+2217: no glyph
    assert "Entrée 5×5 (remplissage 1)" in texts_of(conv.svg)
    curves = figures.activation_curves(("relu", "leaky_relu"), lang="fr")
    written = "".join(texts_of(curves.svg))
    assert "$" not in written and "α" not in written  # math and Greek: outlines
    assert "ReLU" in texts_of(curves.svg) and "Leaky ReLU" in texts_of(curves.svg)


def test_a_cells_figure_is_written_in_the_deck_font_too():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    ax.set_title("Une courbe")
    svg = render_svg(fig)
    assert "Une courbe" in texts_of(svg)
    assert f"'{DECK_FONT}'" in re.search(r"<text\b[^>]*>Une courbe", svg).group(0)
    assert render_svg(fig) == svg  # and the figure is left as it was: same bytes again


def test_pdf_made_by_weasyprint_has_the_figures_text(resnet_fr, tmp_path):
    from weasyprint import HTML

    from deck.render.pdf import data_only_fetcher

    pdf = tmp_path / "figure.pdf"
    HTML(string=page_html(figure_html(resnet_fr.svg, resnet_fr.alt)),
         url_fetcher=data_only_fetcher()).write_pdf(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("étage 1", "56×56", "raccourci identité", "BasicBlock (canaux de sortie)", "512"):
        assert expected in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Source-Sans-3" in fonts  # the page's font, embedded once


def test_chromium_sets_the_figure_text_in_source_sans(browser, resnet_fr, tmp_path):
    page_path = tmp_path / "figure.html"
    page_path.write_text(page_html(figure_html(resnet_fr.svg, resnet_fr.alt)), encoding="utf-8")
    # the same page with the figure's font renamed to one that does not exist: what a fallback looks like
    fallback = tmp_path / "fallback.html"
    renamed = resnet_fr.svg.replace(f"font-family: '{DECK_FONT}'", "font-family: 'No Such Font'")
    assert renamed != resnet_fr.svg
    fallback.write_text(page_html(figure_html(renamed, resnet_fr.alt)), encoding="utf-8")
    with page_for(browser, page_path, viewport=(960, 540), fresh=True) as page:  # a CDP session of its own
        page.evaluate("document.fonts.ready")
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "figure svg text"})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        assert [f["familyName"] for f in fonts] == [DECK_FONT] and fonts[0]["isCustomFont"]
        box = page.locator("figure svg").bounding_box()
        assert box["width"] == pytest.approx(960 - 2 * 56, abs=1)  # scaled to the slide's width
        shot = page.locator("figure svg").screenshot()
    with page_for(browser, fallback, viewport=(960, 540)) as page:
        page.evaluate("document.fonts.ready")
        other = page.locator("figure svg").screenshot()
    assert shot != other


# --- safe to inline -------------------------------------------------------------------------


HOSTILE = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
 width="10pt" height="10pt" viewBox="0 0 10 10" onload="alert(1)">
 <script>alert(2)</script>
 <style>@import url(https://evil.example/x.css); g { fill: red }</style>
 <a xlink:href="javascript:alert(3)"><text x="1" y="5" onclick="alert(4)">link</text></a>
 <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>
 <image xlink:href="https://evil.example/p.png" width="1" height="1"/>
 <image xlink:href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>
 <use xlink:href="#local"/><use href="https://evil.example/s.svg#x"/>
 <rect id="local" style="fill: url(https://evil.example/f)" width="1" height="1"/>
 <rect style="fill: url(#grad)" width="1" height="1"/>
 <animate attributeName="href" to="javascript:alert(5)"/>
</svg>"""


def test_inlined_svg_keeps_nothing_that_runs_links_or_loads():
    out = safe_svg(HOSTILE)
    low = out.lower()
    for bad in ("script", "alert", "onload", "onclick", "javascript", "evil.example", "foreignobject",
                "@import", "<animate", "<a "):
        assert bad not in low, bad
    # what a figure needs is kept: text, local references, inline images, local paint servers
    assert ">link</text>" in out and 'xlink:href="#local"' in out
    assert 'xlink:href="data:image/png;base64,iVBORw0KGgo="' in out and "url(#grad)" in out
    assert out.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_a_cells_link_never_reaches_the_page():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    ax = fig.add_subplot()
    (line,) = ax.plot([0, 1], [0, 1])
    line.set_url("javascript:alert(1)")
    ax.set_title("<script>alert(2)</script>")
    svg = render_svg(fig)
    assert "javascript" in svg  # matplotlib writes the link...
    inlined = figure_html(svg, 'a "quoted" alt')
    assert "javascript" not in inlined and "<script" not in inlined  # ...deck does not keep it
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in inlined  # the title is text, shown as such
    assert 'aria-label="a &quot;quoted&quot; alt"' in inlined


def test_inlining_is_deterministic(resnet_fr):
    assert figure_html(resnet_fr.svg, "x") == figure_html(resnet_fr.svg, "x")
    import figures

    assert figures.architecture("resnet18", lang="fr").svg == resnet_fr.svg
