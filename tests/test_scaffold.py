"""`python build.py new NAME`: a deck showing every element of the format, that builds as it is."""
from __future__ import annotations

import os
import subprocess

import pytest
from helpers_for_tests import BUILD

from deck.cli import main
from deck.cli.new_deck import TEMPLATE, ScaffoldError, check_name, scaffold

# Each element of the format (README's authoring guide) and a piece of source text that writes it.
ELEMENTS = {
    "front matter": "---\ntitle: ",
    "Jinja variable from the front matter": "{{ course }}",
    "Jinja loop": "{% for n in widths %}",
    "Jinja macro": "{% macro linear_line(",
    "live cell": "```{python}",
    "hidden cell": "#| echo: false",
    "shown-only code": "```python",
    "result comments": "#| output: comment",
    "expected error": "#| raises: RuntimeError",
    "meta device": "#| meta: true",
    "callouts": "#| callouts: {",
    "callouts step": "#| callouts-step: 2",
    "figure caption": "#| caption:",
    "written claim in code": "# (32, 64, 128, 128)",
    "exercise blank": "# Weights: ?",
    "exercise blank (shape)": "# ( ... )",
    "answer block": "::: answer",
    "inline expression": "`{py} nparams(fc)`",
    "inline claim": "=> 10`",
    "helper shape": "shape(",
    "helper nparams": "nparams(",
    "helper formula": "formula(",
    "helper numel": "numel(",
    "helper memory": "memory(",
    "helper approx": "approx(",
    "pause": "\n. . .\n",
    "incremental list": "::: incremental",
    "inline math": "$\\sigma",
    "display math": "$$\\mathcal{L}",
    "columns": ":::: columns\n::: column 40%",
    "matplotlib figure": "plt.subplots(",
    "speaker notes": "::: notes",
    "table": "|---|---:|",
    "slide break": "\n---\n",
}


@pytest.mark.parametrize("element", ELEMENTS)
def test_template_shows_every_element(element):
    assert ELEMENTS[element] in TEMPLATE.read_text(encoding="utf-8")


@pytest.mark.slow
def test_scaffold_builds_html_and_pdf_and_passes_check(tmp_path):
    env = dict(os.environ, DECK_CACHE_DIR=str(tmp_path / ".deck_cache"))
    made = subprocess.run([*BUILD, "new", "intro_course"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("created slides_src/intro_course.md\n")
    source = tmp_path / "slides_src" / "intro_course.md"
    assert "title: Intro Course" in source.read_text(encoding="utf-8")
    # the build and the check in parallel (two cores, two processes)
    run = lambda *args: subprocess.Popen([*BUILD, *args], cwd=tmp_path, env=env, text=True,  # noqa: E731
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    build, check = run("intro_course"), run("--check", "--no-cache")
    out, err = build.communicate(timeout=120)
    assert build.returncode == 0, err
    assert "warning" not in err and "error" not in err
    check_out, check_err = check.communicate(timeout=120)
    assert check.returncode == 0, check_err
    assert "every claim holds" in check_out

    html = (tmp_path / "build" / "intro_course.html").read_text(encoding="utf-8")
    assert (tmp_path / "build" / "intro_course.pdf").stat().st_size > 10_000
    for shown in ('class="notes"', "<table", 'class="columns"', "<svg", 'data-step="2"', "524,800",
                  "(32, 64, 128, 128)", "RuntimeError", "Deep Learning lecture", "nn.Linear(256, 10)"):
        assert shown in html, shown
    assert "{py}" not in html and "{{" not in html


def test_refuses_to_overwrite(tmp_path, capsys):
    assert main(["new", "lesson", "--root", str(tmp_path)]) == 0
    target = tmp_path / "slides_src" / "lesson.md"
    target.write_text("my own work\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["new", "lesson.md", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == ("error: slides_src/lesson.md already exists; not overwriting it "
                   "(choose another name, or delete the file first)\n")
    assert target.read_text(encoding="utf-8") == "my own work\n"


@pytest.mark.parametrize("name", ["../escape", "sub/deck", "/abs/deck", ".hidden", "_partial", "two words",
                                  "", "a\\b", "deck.txt", "x" * 101, "-flag-like"])
def test_refuses_names_that_are_not_simple_file_names(tmp_path, capsys, name):
    with pytest.raises(ScaffoldError, match="is not a simple file name"):
        check_name(name)
    assert main(["new", "--root", str(tmp_path), "--", name]) == 2
    assert "is not a simple file name" in capsys.readouterr().err
    assert not any(tmp_path.rglob("*.md"))


def test_simple_names_are_accepted(tmp_path):
    for name in ("intro", "Lecture-2", "recap_3.md", "2024_cnn"):
        path = scaffold(name, tmp_path)
        assert path == tmp_path / "slides_src" / f"{name.removesuffix('.md')}.md"
