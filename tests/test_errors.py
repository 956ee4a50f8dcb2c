"""Bad input stops the build with one message naming file, line, slide, source line and cause."""
from __future__ import annotations

import pytest
from helpers_for_tests import run, run_build

from deck.errors import DeckError


def error_of(source: str, tmp_path, **kw) -> str:
    with pytest.raises(DeckError) as err:
        run(source, tmp_path, **kw)
    return str(err.value)


def test_failing_cell_names_line_slide_and_exception(tmp_path):
    message = error_of("""
        # Good
        ok
        ---
        # Bad
        ```{python}
        a = 1
        b = a / 0
        ```
        """, tmp_path)
    first, second = message.splitlines()[:2]
    assert first == "slides_src/t.md:11 (slide 3): cell raised ZeroDivisionError: division by zero"
    assert second == "    11 | b = a / 0"
    assert "ZeroDivisionError" in message.splitlines()[-1]


def test_bad_cell_option(tmp_path):
    message = error_of("""
        # S
        ```{python}
        #| colour: red
        x = 1
        ```
        """, tmp_path)
    assert message.startswith("slides_src/t.md:7 (slide 2): unknown cell option 'colour'")
    assert "    7 | #| colour: red" in message


def test_bad_option_value(tmp_path):
    message = error_of("# S\n```{python}\n#| output: sideways\nx = 1\n```\n", tmp_path)
    assert message.startswith("slides_src/t.md:7 (slide 2): cell option 'output' must be below, comment, asis or none")


def test_jinja_syntax_error(tmp_path):
    message = error_of("# S\n\n{% for x in [1] %}\nno end\n", tmp_path)
    assert message.startswith("slides_src/t.md:")
    assert "Jinja syntax error" in message


def test_syntax_error_in_cell(tmp_path):
    message = error_of("# S\n```{python}\nx = 1\ny = (\n```\n", tmp_path)
    assert message.startswith("slides_src/t.md:8 (slide 2): syntax error in cell")


def test_inline_expression_error(tmp_path):
    message = error_of("# S\n\nvalue `{py} nope + 1`\n", tmp_path)
    assert message.startswith("slides_src/t.md:7 (slide 2): inline expression `nope + 1` raised NameError")


def test_a_jinja_variable_used_in_an_inline_expression_gets_a_hint(tmp_path):
    message = error_of("# S\n\n{% for n in [2, 3] %}\n- `{py} n * 10`\n{% endfor %}\n", tmp_path)
    assert "raised NameError: name 'n' is not defined" in message
    assert "a Jinja variable, from {% set %}, {% for %} or _course.yml, is written {{ name }}" in message


def test_a_figure_builder_called_by_its_bare_name_gets_a_hint(tmp_path):
    # the README's table lists the builders by name: a lecturer writes `conv_illustration(...)`
    message = error_of("# S\n```{python}\nimport torch\nconv_illustration(size=5)\n```\n", tmp_path)
    assert message.startswith("slides_src/t.md:8 (slide 2): cell raised NameError")
    assert "write `figures.conv_illustration(...)`" in message
    inline = error_of("# S\n\nthe grid `{py} softmax_bars()`\n", tmp_path)
    assert "write `figures.softmax_bars(...)`" in inline
    other = error_of("# S\n```{python}\nnot_a_builder(1)\n```\n", tmp_path)
    assert "figures." not in other


def test_expected_error_that_does_not_happen(tmp_path):
    deck, problems = run("# S\n```{python}\n#| raises: ValueError\nx = 1\n```\n", tmp_path)
    assert [str(p).splitlines()[0] for p in problems.items] == [
        "slides_src/t.md:7 (slide 2): cell was expected to raise ValueError but ran without error"]


def test_missing_image_and_file_outside(project):
    from deck.pipeline import build

    project.deck("---\ntitle: T\n---\n# I\n\n![x](nothere.png)\n")
    with pytest.raises(DeckError) as err:
        build(project.options(pdf=False))
    assert str(err.value).startswith("slides_src/t.md:6 (slide 2): image 'nothere.png' cannot be read")
    project.deck("---\ntitle: T\n---\n# I\n\n![x](../../etc/passwd.png)\n")
    with pytest.raises(DeckError, match="outside the project"):
        build(project.options(pdf=False))


def test_cli_exit_code_and_previous_output_kept(project):
    project.deck("---\ntitle: T\n---\n# Fine\n")
    ok = run_build(project, "--root", str(project.root))
    assert ok.returncode == 0, ok.stderr
    pdf = project.root / "build" / "t.pdf"
    good = pdf.read_bytes()
    project.deck("---\ntitle: T\n---\n# Broken\n```{python}\nraise RuntimeError('boom')\n```\n")
    bad = run_build(project, "--root", str(project.root))
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: slides_src/t.md:6 (slide 2): cell raised RuntimeError: boom")
    assert "Traceback" in bad.stderr and 'File "<deck cell 0>"' not in bad.stderr.split("\n")[0]
    assert pdf.read_bytes() == good
    assert not list((project.root / "build").glob(".*tmp"))
