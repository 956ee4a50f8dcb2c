"""deck's own failures are said, never silent: its bug, a build process that ends without a word, a
theme font missing from its install; and the Ctrl-C tests pass where SIGINT is ignored.

Attacks that once broke deck (issue 12, "nothing lost, nothing silent"): each test reproduces one.
Numbers in the section titles are the issue's cases. The supervisor runs in a fresh interpreter of its own.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from helpers_for_tests import ROOT


# --- 3. every way the build ends says what happened, with the documented exit code ---------------
def test_a_missing_theme_font_is_said(tmp_path, monkeypatch):
    import shutil

    from deck.errors import DeckError
    from deck.render import assets

    package = tmp_path / "deck_copy"
    shutil.copytree(assets.THEMES, package / "themes")
    fonts = sorted((package / "themes" / "fonts").glob("*.woff*"))
    fonts[0].unlink()
    monkeypatch.setattr(assets, "PACKAGE", package)
    monkeypatch.setattr(assets, "THEMES", package / "themes")
    assets.font_css.cache_clear()
    try:
        with pytest.raises(DeckError, match=rf"deck's theme file .*{fonts[0].name} is missing: reinstall deck"):
            assets.theme_css("default")
    finally:
        assets.font_css.cache_clear()


def _supervise(main, env: dict[str, str] | None = None) -> tuple[int, str]:
    """supervised(main) in a fresh interpreter: its exit code and its stderr."""
    code = f"import sys; from deck.processes.supervisor import supervised\n{main}\nsys.exit(supervised(main))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
                         env={**os.environ, **(env or {})})
    return run.returncode, run.stderr


@pytest.mark.parametrize("env", [{}, {"DECK_NO_FORK": "1"}], ids=["forked", "in process"])
def test_deck_s_own_bug_is_said_with_exit_code_2(env):
    code, err = _supervise("def main(hooks):\n    return {}['no such key']", env)
    assert code == 2
    assert err.startswith("error: deck stopped on an unexpected error: this is a bug in deck, please report it")
    assert "KeyError: 'no such key'" in err


def test_a_child_that_ends_without_a_word_is_said():
    code, err = _supervise("import os\ndef main(hooks):\n    os._exit(1)")
    assert code == 2
    assert err.startswith("error: the build process ended with exit status 1 (os._exit?) outside any cell; "
                          "previous outputs are unchanged")


# --- 15. the Ctrl-C tests set the signal disposition they rely on --------------------------------
@pytest.mark.slow
def test_ctrl_c_tests_pass_where_sigint_is_ignored():
    """As `cmd &` in a script: the suite itself runs with SIGINT ignored, its processes inherit that."""
    tests = ["tests/test_runaway_cells_and_outside_files.py::test_signal_to_the_command_stops_the_build_quietly",
             "tests/test_watch.py::test_ctrl_c_in_a_terminal_stops_server_and_worker"]
    run = subprocess.run([sys.executable, "-m", "pytest", *tests, "-q", "-n", "0", "-p", "no:cacheprovider"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert run.returncode == 0, run.stdout[-3000:]
