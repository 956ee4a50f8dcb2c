"""Names written into outputs mean what they say: file names in GitHub annotations escaped by GitHub's
rules, index links URL-encoded, a computed slide title in the bookmark and the HTML label."""
from __future__ import annotations

import html
import re
from urllib.parse import unquote

import pikepdf
import pytest

from deck.cli.main import main
from deck.errors import EXIT_FALSE
from deck.render.index import LINKS, Listed, index_html


@pytest.mark.parametrize("name,escaped", [("week,1:a", "week%2C1%3Aa"), ("s%41", "s%2541")])
def test_github_annotations_escape_the_file_property(project, capsys, name, escaped):
    project.deck("---\ntitle: T\n---\n# S\nWe have `{py} 2 + 2 => 5` apples.\n", name=name)
    assert main(["--check", "--no-layout", "--format", "github"]) == EXIT_FALSE
    out = capsys.readouterr().out
    # `,` and `:` end a property: unescaped, GitHub would read the file as `slides_src/week`
    assert (f"::error file=slides_src/{escaped}.md,line=5,title=slide 2::claim is false: `2 + 2` is 4, not 5 "
            "(written 5, true 4)" in out.splitlines())


@pytest.mark.parametrize("name", ["q#1", "r?2", "s%41", "t u&v"])
def test_index_links_open_the_deck_s_own_files(name):
    page = index_html([Listed(name, {"title": "A deck"}, {})])
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page)]
    assert hrefs
    for href in hrefs:  # what a browser asks the server for: the path, decoded (no fragment, no query)
        assert "#" not in href and "?" not in href, href
        assert unquote(href) in {f"{name}{suffix}" for _, suffix in LINKS}, href


def test_a_computed_title_is_the_bookmark_and_the_label(project, capsys):
    project.deck("---\ntitle: T\n---\n```{python}\nx = 5\n```\n\n# Total `{py} x + 1`\n")
    assert main(["t"]) == 0, capsys.readouterr().err
    html = (project.root / "build" / "t.html").read_text(encoding="utf-8")
    assert 'aria-label="2 / 2 : Total 6"' in html
    assert "{py}" not in html.split("<main", 1)[-1].split("aria-label=", 1)[0]
    with pikepdf.open(project.root / "build" / "t.pdf") as pdf, pdf.open_outline() as outline:
        assert [item.title for item in outline.root] == ["T", "Total 6"]
    from pptx import Presentation

    assert main(["t", "--pptx"]) == 0, capsys.readouterr().err
    slides = Presentation(str(project.root / "build" / "t.pptx")).slides
    assert slides[1].shapes.title.text == "Total 6"  # the colleagues' copy reads the value too


def test_a_blank_in_a_title_is_not_answered_by_the_bookmark(project, capsys):
    project.deck("---\ntitle: T\n---\n```{python}\nx = 5\n```\n\n# Total `{py} x + 1 => ?`\n")
    assert main(["t", "--html-only"]) == 0, capsys.readouterr().err
    html = (project.root / "build" / "t.html").read_text(encoding="utf-8")
    assert 'aria-label="2 / 2 : Total …"' in html
