"""`--check --format json`: standard output is the JSON report and nothing else, whatever cells (or
the processes they start) write to file descriptor 1, and with `--fix` too (its diff goes to stderr).
In-process (the CLI's main), its file descriptors captured."""
from __future__ import annotations

import json

from deck.cli.main import main
from deck.errors import EXIT_FALSE

DECK = ("---\ntitle: T\n---\n# Hi\n\n```{python}\nimport os, subprocess, sys\n"
        "subprocess.run([sys.executable, '-c', 'print(\"from a child\")'], check=True)\n"
        "os.write(1, b'written to fd 1\\n')\nx = 2\n```\n\n`{py} x + 1 => 4`\n")


def test_json_stdout_is_pure_json_when_cells_write_to_fd_1(project, capfd):
    project.deck(DECK)
    assert main(["--check", "--no-layout", "--format", "json"]) == EXIT_FALSE
    out, err = capfd.readouterr()
    report = json.loads(out)  # nothing else on stdout
    assert [p["message"] for p in report["decks"][0]["problems"]] == ["claim is false: `x + 1` is 3, not 4"]
    assert "from a child" in err and "written to fd 1" in err  # said, on stderr


def test_fix_with_json_prints_the_json_report_of_what_is_left(project, capfd):
    source = project.deck(DECK)
    assert main(["--fix", "--no-layout", "--format", "json"]) == 0
    out, err = capfd.readouterr()
    report = json.loads(out)
    assert report["ok"] is True and report["decks"][0]["problems"] == []
    assert "-`{py} x + 1 => 4`\n+`{py} x + 1 => 3`" in err and "fixed 1 false value" in err
    assert "`{py} x + 1 => 3`" in source.read_text(encoding="utf-8")


def test_text_format_still_prints_the_diff_on_stdout(project, capfd):
    project.deck(DECK)
    assert main(["--fix", "--no-layout"]) == 0
    out, _ = capfd.readouterr()
    assert "+`{py} x + 1 => 3`" in out and out.rstrip().endswith("fixed 1 false value")
