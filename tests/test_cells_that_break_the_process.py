"""Cells that break what deck needs (the process's streams, its open-file limit) or show values that
cannot be drawn: each is a located cell error, exit code 2, never deck's own traceback.

Values are shown in-process (the CLI's main); cells that change the process run as `python build.py`
in a process of their own, since that is what they break."""
from __future__ import annotations

import pytest
from helpers_for_tests import run_build

from deck.cli.main import main
from deck.errors import EXIT_ERROR

FRONT = "---\ntitle: T\n---\n# Hi\n\n"
SVG = "<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'/>"


@pytest.mark.parametrize("body,why", [
    (f"class S:\n    def _repr_svg_(self):\n        return {SVG.encode()!r}\nS()",
     "its _repr_svg_ returned bytes, not text (str)"),
    (f"class S:\n    alt = 5\n    def _repr_svg_(self):\n        return {SVG!r}\nS()",
     "its `alt` (the figure's description) is int, not text (str)"),
    ("class H:\n    def _repr_html_(self):\n        return ['<b>x</b>']\nH()",
     "its _repr_html_ returned list, not text (str)"),
    ("class T:\n    def _deck_text_(self, in_code=False):\n        return 42\nT()",
     "its _deck_text_ returned int, not text (str)"),
], ids=["svg bytes", "alt int", "html list", "deck text int"])
def test_a_value_that_cannot_be_drawn_is_a_located_cell_error(project, capsys, body, why):
    project.deck(FRONT + f"```{{python}}\n{body}\n```\n")
    assert main(["--html-only"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("error: slides_src/t.md:7 (slide 2): the value the cell shows cannot be drawn: "
                          f"{why}"), err
    assert "bug in deck" not in err and "Traceback" not in err


@pytest.mark.parametrize("args", [["--html-only"], ["--check", "--no-layout"]], ids=["build", "check"])
def test_a_cell_closing_its_standard_streams_is_a_located_error(project, args):
    project.deck(FRONT + "```{python}\nimport os\nos.close(1)\nos.close(2)\nx = 1\n```\n\n---\n\n# After\n\n"
                 "`{py} x + 1 => 2`\n")
    run = run_build(project, *args)
    assert run.returncode == EXIT_ERROR, run.stderr
    assert run.stderr.startswith("error: slides_src/t.md:7 (slide 2): the cell closed file descriptor 1 (standard "
                                 "output; given back); closed file descriptor 2 (standard error; given back)")
    assert "Traceback" not in run.stderr
    if "--check" in args:  # and the check went on to the next slide
        assert run.stdout.rstrip().endswith("1 problem"), run.stdout


@pytest.mark.parametrize("limit,value,said", [
    ("NOFILE", 3, "the open-file limit (RLIMIT_NOFILE) to 3"),
    ("FSIZE", 1000, "the file-size limit (RLIMIT_FSIZE) to 1,000"),
], ids=["open files", "file size"])
def test_a_cell_lowering_a_soft_limit_is_a_located_error_and_the_check_goes_on(project, limit, value, said):
    project.deck(FRONT + f"```{{python}}\nimport resource\nhard = resource.getrlimit(resource.RLIMIT_{limit})[1]\n"
                 f"resource.setrlimit(resource.RLIMIT_{limit}, ({value}, hard))\nx = 1\n```\n\n---\n\n# After\n\n"
                 "`{py} x + 1 => 3`\n")
    run = run_build(project, "--check")
    assert run.returncode == EXIT_ERROR, run.stderr
    assert run.stderr.startswith(f"error: slides_src/t.md:7 (slide 2): the cell lowered {said} (given back)"), run.stderr
    assert "claim is false: `x + 1` is 2, not 3" in run.stderr  # the check went on, able to open and write files
    assert "Traceback" not in run.stderr


def test_a_cell_lowering_the_hard_open_file_limit_stops_the_build_with_a_located_message(project):
    project.deck(FRONT + "```{python}\nimport resource\nresource.setrlimit(resource.RLIMIT_NOFILE, (3, 3))\n"
                 "x = 1\n```\n")
    run = run_build(project, "--check")
    assert run.returncode == EXIT_ERROR, run.stderr
    assert run.stderr.startswith("error: slides_src/t.md:7 (slide 2): the cell lowered the open-file limit "
                                 "(RLIMIT_NOFILE) to 3"), run.stderr
    assert "Traceback" not in run.stderr and "bug in deck" not in run.stderr


def test_a_cell_raising_its_soft_open_file_limit_is_no_problem(project, capsys):
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft // 2, hard))  # room for the cell to raise it
        project.deck(FRONT + "```{python}\nimport resource\nhard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n"
                     "resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))\n```\n")
        assert main(["--html-only"]) == 0, capsys.readouterr().err
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
