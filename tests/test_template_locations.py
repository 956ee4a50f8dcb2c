"""Every line Jinja writes is located at its source line, and the location markers never change the
text: a line that opens with a Jinja tag (`{# typed #}3 × 3`, `{% for %}- {{ n }}`), a comment that
ends a line (whose line break Jinja's trim_blocks would swallow)."""
from pathlib import Path

import jinja2
import pytest
from helpers_for_tests import ROOT, run

from deck.source.templating import render

FRONT = "---\ntitle: T\nns: [1, 2]\n---\n"


def rendered(tmp_path: Path, body: str):
    path = tmp_path / "slides_src" / "t.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FRONT + body, encoding="utf-8")
    return render(path.read_text(encoding="utf-8"), path, tmp_path)


def line_of(r, text: str) -> int:
    """The source line of the (first) output line holding `text`."""
    i = next(i for i, line in enumerate(r.text.split("\n")) if text in line)
    return r.lines[i].line


def test_a_line_opening_with_a_comment_is_located(tmp_path):
    r = rendered(tmp_path, "# A\n\nfirst\n\n{# typed #}Une couche de 128 unités\n")
    assert line_of(r, "Une couche") == 9   # front matter is 4 lines: body line 5 is file line 9


def test_each_pass_of_a_loop_on_its_tag_line_is_located(tmp_path):
    r = rendered(tmp_path, "# A\n\n{% for n in ns %}- pass {{ n }}\n{% endfor %}\nafter\n")
    assert [line_of(r, f"pass {n}") for n in (1, 2)] == [7, 7]
    assert line_of(r, "after") == 9


def test_a_comment_ending_a_line_keeps_its_line_break(tmp_path):
    r = rendered(tmp_path, "# A\n\nvalue 3.{# typed #}\nnext line with 7 apples\n")
    assert "value 3.\nnext line with 7 apples" in r.text
    assert line_of(r, "7 apples") == 8


@pytest.mark.parametrize("big, word", [(True, "grand"), (False, "petit")])
def test_a_block_tag_ending_a_line_keeps_its_line_break(tmp_path, big, word):
    """`… {% endif %}` at a line's end joined the next line to it (trim_blocks), as a comment did."""
    src = ("# A\n\n{% set big = " + str(big) + " %}\nUn modèle {% if big %}grand{% else %}petit{% endif %}\n"
           "next line with 7 apples\n{% for n in [1] %}\n- item {{ n }}\n{% endfor %}\nafter\n")
    r = rendered(tmp_path, src)
    assert f"Un modèle {word}\nnext line with 7 apples\n- item 1\nafter" in r.text
    assert line_of(r, "7 apples") == 9


def test_a_line_of_only_a_comment_still_disappears(tmp_path):
    r = rendered(tmp_path, "# A\n{# a note to myself #}\nnext\n")
    assert "# A\nnext" in r.text


@pytest.mark.parametrize("body", [
    "{%- if true -%}  x\n{% endif %}\ny\n",
    "  {% if true %}\n  a\n  {% endif %}\nb\n",
    "{% if true %}{% endif %}   text\n",
    "{{- ' a' }} b\nc\n",
    "{% set t = 4 %}\n{{ t }} portes\n",
    "a {#- x -#}\n b\n",
    "{% raw %}{{ x }}{% endraw %} y\n",
    "{# one #}{# two #} words\n",
])
def test_markers_never_change_the_text(tmp_path, body):
    """Jinja without markers writes the same text (whitespace control, raw blocks, set)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    assert rendered(tmp_path, body).text == env.from_string(body).render(ns=[1, 2])


@pytest.mark.parametrize("deck", sorted((ROOT / "slides_src").glob("*.md")), ids=lambda p: p.name)
def test_the_course_decks_render_as_jinja_alone(deck):
    """The course's text is what Jinja writes without markers (no line of them opens with a tag
    followed by text, nor ends with a comment after text: nothing there was to change)."""
    from deck.source.front_matter import split_front_matter

    meta, body, _ = split_front_matter(deck.read_text(encoding="utf-8"), deck)
    r = render(deck.read_text(encoding="utf-8"), deck, ROOT)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([deck.parent, ROOT]),
                             undefined=jinja2.Undefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    assert r.text == env.from_string(body).render({**r.front_matter, "meta": r.front_matter})


def test_typed_marks_first_on_a_line_and_at_its_end(tmp_path):
    """The mark first on its line covers that line; at its end, that line only (the next line's
    number is listed, at its own line)."""
    from deck.claims.coverage import unchecked_numbers

    deck, problems = run("""
        # Marks

        {# typed #}A layer of 128 units.

        A claim `{py} 2 + 2 => 4`, typed 3.{# typed #}
        Next line with 7 apples.
        """, tmp_path, check=True)
    found = [(u.location.line, u.number) for u in unchecked_numbers(deck, problems.claims)]
    assert found == [(10, "7")]
