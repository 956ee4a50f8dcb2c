"""Fuzzing: random and mutated sources either build or fail with a located DeckError, nothing else."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deck.errors import DeckError
from deck.execute import execute
from deck.render.documents import html_document, print_document, render_slides
from deck.source import parse

FIXTURES = Path(__file__).resolve().parent / "fixtures"

FRONT = st.sampled_from([
    "---\ntitle: T\nlang: fr\n---\n", "---\ntitle: T\nlang: en\ntheme: meteofrance\n---\n", "",
    "---\ntitle: [unclosed\n---\n", "---\nlang: de\n---\n", "---\ntheme: nope\n---\n", "---\n- a list\n---\n",
    "---\ntitle: T\nexecute: {meta: true, timeout: 5}\n---\n", "---\nexecute: {colour: 1}\n---\n",
    "---\ntitle: 3\ndate: 2024-13-45\n---\n", "---\ntitle: T\n",
])
FRAGMENTS = st.sampled_from([
    "---", "# Title", "## Sub", "- item", "1. first", "text with *emphasis* and **bold**", ". . .",
    "::: incremental", ":::", ":::: columns", "::: column 40%", "::: column abc", "::: notes", "::::",
    "| a | b |\n|---|---|\n| 1 | 2 |", "![alt](missing.png)", "![alt](/etc/passwd)", "[link](http://x)",
    "$x^2$", "$$\\frac{a}{b}$$", "$\\frac{$", "$$\\undefinedmacro$$", "`{py} 1 + 1`", "`{py} 1 / 0`",
    "`{py} nparams(nope)`", "`{py} (2, 3) => (3, 2)`", "`{py} 524800 => 524 800`", "`{py} 1 => ?`",
    "`{py} => 3`", "`{py} `", "`{py} x = 1`", "{{ title }}", "{{ undefined_name }}", "{% for i in [1, 2] %}",
    "{% endfor %}", "{% if true %}", "{% endif %}", '{% include "nope.md" %}', "{# comment #}", "{{ 1 / 0 }}",
    "```{python}\nx = 1\n```", "```{python}\n#| output: comment\nx = 2\nx\n```",
    "```{python}\n#| output: comment\nx = 2\nx  # 3\n```", "```{python}\n#| raises: ValueError\nint('a')\n```",
    "```{python}\n#| raises: ValueError\n1\n```", "```{python}\n#| colour: red\n```",
    "```{python}\n#| output: sideways\n```", "```{python}\n#| callouts: {\"x\": \"label\"}\nx = 1\n```",
    "```{python}\n#| callouts: {\"zzz\": \"missing\"}\nx = 1\n```", "```{python}\n#| timeout: -1\n```",
    "```{python}\nsyntax error here(\n```", "```{python}\nraise RuntimeError('boom')\n```",
    "```{python}\n>>> 1 + 1\n2\n>>> 2 * 2\n5\n```", "```{python}\n#| meta: true\nimport torch\nshape(torch.zeros(2, 3))\n```",
    "```python\nshown only `{py} 1 + 2`\n```", "```{ruby}\nputs 1\n```", "```{python}", "```",
    "<script>alert(1)</script>", "<img src=x>", "\u00a0\u202f", "\x00", "é à ç œ ≈ ×",
])
SEPARATORS = st.sampled_from(["\n", "\n\n", " ", ""])


def build_in_memory(text: str, root: Path) -> None:
    path = root / "slides_src" / "f.md"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        deck = parse(text, path, root)
        problems = execute(deck, collect_errors=True, timeout=5)
        if any(not p.location for p in problems.items):
            raise AssertionError(f"a problem without a location: {problems.items}")
        if not problems.items:
            slides = render_slides(deck, root)
            html_document(deck, slides)
            print_document(deck, slides)
    except DeckError as err:
        assert err.location is not None, f"unlocated error: {err}"
        assert err.location.line >= 1


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
@given(front=FRONT, parts=st.lists(st.tuples(FRAGMENTS, SEPARATORS), max_size=14),
       noise=st.text(max_size=30))
@pytest.mark.slow
def test_generated_sources(tmp_path_factory, front, parts, noise):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "slides_src").mkdir()
    text = front + "".join(f + sep for f, sep in parts) + noise
    build_in_memory(text, root)


BASE = (FIXTURES / "claims_fr.md").read_text(encoding="utf-8")


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
@given(edits=st.lists(st.tuples(st.integers(0, len(BASE)), st.integers(0, 12),
                                 st.one_of(st.text(max_size=6), FRAGMENTS)), min_size=1, max_size=4))
@pytest.mark.slow
def test_mutated_real_deck(tmp_path_factory, edits):
    root = tmp_path_factory.mktemp("mut")
    (root / "slides_src").mkdir()
    text = BASE
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut:]
    build_in_memory(text, root)


def test_pdf_of_odd_but_valid_sources(tmp_path):
    """A few sources that parse: the full pipeline, PDF included, must not fail."""
    from deck.pipeline import BuildOptions, build_deck

    (tmp_path / "slides_src").mkdir()
    for i, text in enumerate(["", "---\n---\n", "# only a title", "---\ntitle: T\n---\n:::: columns\n::: column\n:::\n::::\n",
                              "\u00a0\n---\n\n---\n", "---\ntitle: T\n---\n. . .\n. . .\n"]):
        path = tmp_path / "slides_src" / f"odd{i}.md"
        path.write_text(text, encoding="utf-8")
        try:
            build_deck(path, BuildOptions(project_root=tmp_path, out_dir=tmp_path / "out"))
        except DeckError as err:
            assert err.location is not None
    shutil.rmtree(tmp_path / "out", ignore_errors=True)
