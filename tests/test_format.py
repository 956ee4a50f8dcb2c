"""Each element of the source format: fixture source in, HTML out."""
from __future__ import annotations

import re

import pytest
from helpers_for_tests import html, printed, run

from deck.errors import DeckError


def test_slides_split_on_marker_but_not_inside_code(tmp_path):
    deck, _ = run("""
        # One
        text
        ---
        # Two
        ```python
        a = 1
        ---
        b = 2
        ```
        """, tmp_path)
    titles = [s.title for s in deck.slides]
    assert titles == ["Test", "One", "Two"]
    assert deck.slides[2].cells[0].code == "a = 1\n---\nb = 2"


def test_markdown_elements(tmp_path):
    out = html("""
        # Title *here*
        - a list with **bold** and [a link](https://example.org)

        | a | b |
        |---|--:|
        | 1 | 2 |
        """, tmp_path)
    assert '<h2 class="slide-title">Title <em>here</em></h2>' in out
    assert "<strong>bold</strong>" in out and 'href="https://example.org"' in out
    assert "<table>" in out and "<td" in out


def test_front_matter_title_slide_and_language(tmp_path):
    out = html("# A\nx\n", tmp_path, lang="fr")
    assert '<html lang="fr">' in out
    assert '<h1 class="deck-title">Test</h1>' in out


def test_jinja_loops_macros_and_includes(tmp_path):
    (tmp_path / "slides_src" / "parts").mkdir(parents=True)
    (tmp_path / "slides_src" / "parts" / "bit.md").write_text("Included {{ 6 * 7 }}\n")
    deck, _ = run("""
        {% macro hello(n) %}Hello {{ n }}{% endmacro %}
        {% for d in [18, 34] %}
        # ResNet{{ d }}
        {{ hello(d) }}
        {% include "parts/bit.md" %}
        ---
        {% endfor %}
        """, tmp_path)
    assert [s.title for s in deck.slides[1:]] == ["ResNet18", "ResNet34"]
    assert "Hello 34" in deck.slides[2].markdown and "Included 42" in deck.slides[2].markdown


def test_undefined_jinja_name_is_an_error_with_location(tmp_path):
    with pytest.raises(DeckError) as err:
        run("# A\n\nvalue: {{ missing_name }}\n", tmp_path)
    assert str(err.value).startswith("slides_src/t.md:7: Jinja: 'missing_name' is undefined") or \
        "t.md:7: Jinja: 'missing_name' is undefined" in str(err.value)
    assert "7 | value: {{ missing_name }}" in str(err.value)


def test_hidden_show_only_and_run_cells(tmp_path):
    out = html("""
        # Cells
        ```{python}
        #| echo: false
        secret = 41
        ```
        ```python
        print("shown, never run")
        ```
        ```{python}
        print(secret + 1)
        ```
        """, tmp_path)
    assert "secret = 41" not in out
    assert "shown, never run" in out
    assert re.search(r'<pre class="output">42</pre>', out)


def test_result_comments_fill_values(tmp_path):
    deck, _ = run("""
        # Comments
        ```{python}
        #| output: comment
        t = (8, 16, 2551)
        t
        len(t)   # count:
        ```
        """, tmp_path)
    assert deck.cells[0].display.splitlines() == ["t = (8, 16, 2551)", "t  # (8, 16, 2551)", "len(t)   # count: 3"]


def test_expected_error_cell_shows_message(tmp_path):
    out = html("""
        # Mistake
        ```{python}
        #| raises: ZeroDivisionError
        1 / 0
        ```
        """, tmp_path)
    assert '<pre class="output error">ZeroDivisionError: division by zero</pre>' in out


def test_inline_expressions_have_notebook_semantics(tmp_path):
    deck, _ = run("""
        # First
        ```{python}
        n = 1
        ```
        n is `{py} n`.
        ---
        # Second
        ```{python}
        n = 2
        # code sees `{py} n * 10`
        ```
        now n is `{py} n`.
        """, tmp_path)
    texts = [e.text for s in deck.slides for e in s.exprs]
    assert texts == ["1", "2"]
    assert deck.cells[1].display.endswith("# code sees 20")


def test_numbers_in_the_deck_language(tmp_path):
    deck, _ = run("# N\n`{py} 524800` `{py} 1.5`\n", tmp_path, lang="fr")
    assert [e.text for e in deck.slides[1].exprs] == ["524\u202f800", "1,5"]
    deck, _ = run("# N\n`{py} 524800` `{py} 1.5`\n", tmp_path, lang="en")
    assert [e.text for e in deck.slides[1].exprs] == ["524,800", "1.5"]


def test_pauses_make_steps_and_pages(tmp_path):
    source = """
        # Steps
        first

        . . .

        second

        ::: incremental
        - a
        - b
        :::
        """
    deck, _ = run(source, tmp_path)
    assert deck.slides[1].steps == 3
    out = html(source, tmp_path)
    assert '<div class="step" data-step="2">' in out and '<li data-step="3">' in out
    pages = printed(source, tmp_path)
    assert len(re.findall(r'<section class="slide page', pages)) == 1 + 3
    handout = printed(source, tmp_path, handout=True)
    assert len(re.findall(r'<section class="slide page', handout)) == 2


def test_math_becomes_svg(tmp_path):
    out = html("# M\n$x^2$ and\n\n$$\\frac{a}{b}$$\n", tmp_path)
    assert out.count('<svg class="math') == 2 and "$x^2$" not in out
    pdf_doc = printed("# M\n$x^2$\n", tmp_path)
    assert "<script" not in pdf_doc and '<svg class="math"' in pdf_doc


def test_callouts_are_drawn(tmp_path):
    out = html("""
        # C
        ```{python}
        #| callouts: {"32": "Batch size"}
        x = [0] * 32
        ```
        """, tmp_path)
    assert '<span class="callout-label">Batch size</span>' in out
    assert re.search(r'<span class="callout">.*32.*<span class="callout-box"', out)


def test_a_cells_caption_is_shown_under_its_figure(tmp_path):
    out = html("""
        # F
        ```{python}
        #| echo: false
        #| caption: Loss & accuracy, epoch by epoch
        from matplotlib.figure import Figure
        fig = Figure(figsize=(3, 2)); fig.add_subplot().plot([1, 0.5, 0.2])
        fig
        ```
        """, tmp_path)
    assert re.search(r'<figure class="figure captioned"><svg role="img" aria-label="Loss &amp; accuracy, epoch by epoch"'
                     r'.*</svg><figcaption>Loss &amp; accuracy, epoch by epoch</figcaption></figure>', out, re.S)


def test_two_columns_with_figure(tmp_path):
    out = html("""
        # Cols
        :::: columns
        ::: column 40%
        text
        :::
        ::: column
        ```{python}
        #| echo: false
        #| caption: a line
        from matplotlib.figure import Figure
        fig = Figure(figsize=(2, 2)); fig.add_subplot().plot([0, 1])
        fig
        ```
        :::
        ::::
        """, tmp_path)
    assert '<div class="columns">' in out and 'style="flex:0 0 40%"' in out
    assert '<figure class="figure captioned"><svg ' in out and 'aria-label="a line"' in out


def test_notes_in_html_never_in_print(tmp_path):
    source = "# N\nbody\n\n::: notes\nsecret speaker note\n:::\n"
    assert '<aside class="notes"><p>secret speaker note</p>' in html(source, tmp_path)
    assert "secret speaker note" not in printed(source, tmp_path)


def test_images_inlined(tmp_path):
    import base64

    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
    (tmp_path / "slides_src").mkdir(exist_ok=True)
    (tmp_path / "slides_src" / "dot.png").write_bytes(png)
    out = html("# I\n![a dot](dot.png)\n", tmp_path)
    assert '<img src="data:image/png;base64,' in out and 'alt="a dot"' in out
