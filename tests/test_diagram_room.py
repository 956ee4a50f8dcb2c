"""Architecture diagrams use the room their slide gives them: the flagship's ResNet18 (a slide with a
title and the diagram) is cut into rows that fill the slide, its labels near the body text's size;
the VGG under its table stays one row, as large as that row can be. Measured in Chromium on the
built deck, as the audience sees it."""
from __future__ import annotations

import pytest

from figures.architectures import TARGET_TEXT_PX, architecture
from figures.legibility import BODY_TEXT_PX, FIGURE_ROOM_HEIGHT_PX, FIGURE_WIDTH_PX

# per figure of a slide: its box, and the smallest text in it once the SVG is scaled into the box
_MEASURE = """(n) => [...document.querySelectorAll(`#slide-${n} .figure`)].map(f => {
  const svg = f.querySelector('svg'), vb = svg.viewBox.baseVal;
  const scale = Math.min(f.offsetWidth / vb.width, f.offsetHeight / vb.height);
  const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize));
  return {box: [f.offsetWidth, f.offsetHeight], drawn: [vb.width * scale, vb.height * scale],
          text: Math.min(...sizes) * scale};
})"""


def _slide_titled(page, title: str) -> int:
    return page.evaluate("""(t) => [...document.querySelectorAll('section.slide')]
        .find(s => s.querySelector('h2.slide-title')?.textContent.trim() === t).dataset.index""", title)


def _figures(browser, html, title: str, *, after: str | None = None) -> list[dict]:
    from browser import page_for

    with page_for(browser, html) as page:
        n = int(_slide_titled(page, title))
        if after is not None:  # the slide of that title that holds this text
            n = page.evaluate("""([t, a]) => [...document.querySelectorAll('section.slide')]
                .find(s => s.querySelector('h2.slide-title')?.textContent.trim() === t
                      && s.textContent.includes(a)).dataset.index""", [title, after])
        page.goto(page.url.split("#")[0] + f"#/{n}/99")
        page.wait_for_timeout(200)
        return page.evaluate(_MEASURE, int(n))


@pytest.mark.browser
@pytest.mark.slow
def test_resnet18_fills_its_slide_with_labels_near_body_size(browser, built_flagship):
    (fig,) = _figures(browser, built_flagship.html, "ResNet18")
    # the room the builder plans for is the room Chromium gives a figure under a title
    assert fig["box"] == [FIGURE_WIDTH_PX, pytest.approx(FIGURE_ROOM_HEIGHT_PX, abs=3)]
    assert fig["text"] >= 0.8 * BODY_TEXT_PX  # was 18 px (0.6 of the body's 30) in one thin band
    width, height = fig["drawn"]
    assert width >= 0.95 * fig["box"][0] or height >= 0.95 * fig["box"][1]
    assert height >= 0.75 * fig["box"][1]  # not a band across the middle of an empty slide


@pytest.mark.browser
@pytest.mark.slow
def test_vgg_under_its_table_is_one_row_as_wide_as_the_slide(browser, built_flagship):
    (fig,) = _figures(browser, built_flagship.html, "Exemples de ConvNets", after="VGG-N")
    assert fig["drawn"][0] >= 0.98 * fig["box"][0] and fig["drawn"][1] <= fig["box"][1] + 0.5
    assert fig["text"] >= 0.65 * BODY_TEXT_PX  # was 18 px


def test_a_chain_is_cut_into_rows_when_its_room_is_tall():
    tall = architecture("resnet18", lang="en")
    assert tall.data["rows"] == 2 and tall.data["room_px"] >= 0.97 * TARGET_TEXT_PX
    # the same network in a low room (under a table) stays one row: two would be smaller there
    low = architecture("resnet18", lang="en", room_height=FIGURE_ROOM_HEIGHT_PX * 0.55)
    assert low.data["rows"] == 1
    one_row_in_tall_room = architecture("resnet18", lang="en", rows=1)
    assert one_row_in_tall_room.data["room_px"] < tall.data["room_px"]


def test_stage_labels_go_on_one_line_when_the_rows_leave_width():
    texts = architecture("resnet18", lang="en").data["texts"]
    assert "stage 1 · 56×56" in texts
    assert "stage 1\n56×56" in architecture("resnet18", lang="en", rows=1).data["texts"]


@pytest.mark.browser
@pytest.mark.slow
def test_the_activation_slide_shares_its_width_between_bullets_and_curves(browser, built_flagship):
    """The text column beside the activation curves wrapped every bullet (45 % of the width): each
    activation's bullet is one line, and the curves keep the size they had."""
    from browser import page_for

    with page_for(browser, built_flagship.html) as page:
        n = page.evaluate("""() => [...document.querySelectorAll('section.slide')]
            .find(s => s.textContent.includes('Softplus, Leaky ReLU, ELU')).dataset.index""")
        page.goto(page.url.split("#")[0] + f"#/{n}/99")
        page.wait_for_timeout(200)
        lines = page.evaluate(f"""() => [...document.querySelectorAll('#slide-{n} .column li li')].map(li => {{
            const r = document.createRange(); r.selectNodeContents(li);
            return new Set([...r.getClientRects()].map(q => Math.round(q.top))).size; }})""")
        (fig,) = page.evaluate(_MEASURE, int(n))
    assert lines and all(k == 1 for k in lines), lines
    assert fig["drawn"][1] >= 0.95 * fig["box"][1] or fig["drawn"][0] >= 0.95 * fig["box"][0]
    assert fig["text"] >= 0.028 * 540
