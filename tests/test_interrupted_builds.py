"""A build stopped by a signal while a cell runs says so, names the cell, and exits 128 + the signal
(130 for Ctrl-C, 143 for SIGTERM), as the README's exit codes say. The case is about the process:
the build runs as `python build.py`, signalled from outside."""
from __future__ import annotations

import re
import signal
import subprocess
import time

import pytest
from helpers_for_tests import BUILD, ROOT
from watch_process import default_sigint


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_a_cell_is_said_with_its_cell_and_a_documented_code(project, sig):
    started = project.root / "started"
    project.deck("---\ntitle: T\n---\n# Slow\n\n```{python}\nimport time\n"
                 f"open({str(started)!r}, 'w').close()\ntime.sleep(60)\n```\n")
    proc = subprocess.Popen(BUILD + ["--html-only"], cwd=project.root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    code = 128 + sig
    assert proc.returncode == code, err
    how = " (Ctrl-C)" if sig == signal.SIGINT else ""
    assert err.startswith(f"error: stopped by {sig.name}{how} while the cell at slides_src/t.md:7 (slide 2) ran: "
                          "the build did not finish"), err
    assert f"(exit code {code})" in err
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"\b{code}\s+stopped\s+by\s+[^,;]*{sig.name}", readme), "the README lists the exit code"
