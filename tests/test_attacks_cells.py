"""What a slide runs or draws, built to break deck: cells whose shown value raises, cells that exit,
end their interpreter or start processes, math that cannot be drawn, options out of range.

Attacks that once broke deck (issue 12, "nothing lost, nothing silent"): each test reproduces one.
Numbers in the section titles are the issue's cases. Builds run as the lecturer runs them
(`python build.py`), in a process of their own.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from helpers_for_tests import BUILD, ROOT, gone, run_build
from watch_process import default_sigint

FRONT = "---\ntitle: T\n---\n"


# --- 3. every way the build ends says what happened, with the documented exit code ---------------
@pytest.mark.parametrize("body,expect", [
    ("```{python}\nclass S:\n    def _repr_svg_(self):\n        raise ValueError('no drawing')\nS()\n```",
     "error: slides_src/t.md:8 (slide 2): cell raised ValueError: no drawing"),
    ("```{python}\nimport torch.nn as nn\nclass M(nn.Module):\n    def extra_repr(self):\n"
     "        raise ValueError('no repr')\nM()\n```",
     "error: slides_src/t.md:9 (slide 2): cell raised ValueError: no repr"),
    ("```{python}\nclass B:\n    def _repr_svg_(self):\n        return '<svg><unclosed>'\nB()\n```",
     "error: slides_src/t.md:6 (slide 2): the figure the cell shows is not a valid SVG document"),
    ("$\\mathcal{}$", "error: slides_src/t.md:5 (slide 2): cannot draw math $\\mathcal{}$"),
    ("$" + "\\sqrt{" * 300 + "x" + "}" * 300 + "$", "error: slides_src/t.md:5 (slide 2): cannot draw math "),
    ("```{python}\n#| timeout: .inf\nx = 1\n```",
     "error: slides_src/t.md:6 (slide 2): cell option 'timeout' must be a positive, finite number"),
], ids=["repr_svg raises", "extra_repr raises", "invalid svg", "mathcal", "300 nested sqrt", "infinite timeout"])
@pytest.mark.slow
def test_odd_input_is_a_located_error_never_a_silent_exit(project, body, expect):
    project.deck(f"{FRONT}# A\n{body}\n")
    run = run_build(project, "--html-only")
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(expect), run.stderr
    assert "Traceback (most recent call last):\n  File \"/" not in run.stderr  # no deck frames: not deck's bug


@pytest.mark.slow
def test_an_inline_complex_tensor_is_shown(project):
    project.deck(f"{FRONT}# A\n```{{python}}\nimport torch\n```\nz is `{{py}} torch.tensor(1+2j)`\n")
    run = run_build(project, "--html-only")
    assert run.returncode == 0, run.stderr
    assert "tensor(1.+2.j)" in (project.root / "build" / "t.html").read_text(encoding="utf-8")


# --- 4. a cell that exits is a located cell error, never a pass ----------------------------------
@pytest.mark.parametrize("code,message", [
    ("import sys\nsys.exit(0)", "slides_src/t.md:8 (slide 2): cell called exit (SystemExit: 0): a cell must not end the build"),
    ("exit()", "slides_src/t.md:7 (slide 2): cell called exit (SystemExit: None): a cell must not end the build"),
    ("raise KeyboardInterrupt", "slides_src/t.md:7 (slide 2): cell raised KeyboardInterrupt"),
])
def test_a_cell_that_exits_is_a_cell_error_and_the_check_goes_on(project, code, message):
    project.deck(f"{FRONT}# Exit\n```{{python}}\nx = 1\n{code}\n```\n---\n# Later\n`{{py}} 6 * 7 => 41`\n")
    run = run_build(project, "--check", "--no-layout")
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(f"error: {message}"), run.stderr
    assert "(slide 3): claim is false: `6 * 7` is 42, not 41" in run.stderr  # the check went on


def test_a_cell_that_ends_its_interpreter_is_named(project):
    project.deck(f"{FRONT}# Exit\n```{{python}}\nx = 1\nimport os\nos._exit(0)\n```\n---\n# Later\n`{{py}} 6 * 7 => 41`\n")
    run = run_build(project, "--check", "--no-layout")
    assert run.returncode == 2
    assert run.stderr.startswith("error: slides_src/t.md:6 (slide 2): the build process ended with exit status 0 "
                                 "(os._exit?) while running the cell at slides_src/t.md:6 (slide 2)"), run.stderr


@pytest.mark.slow
def test_under_pytest_a_cell_that_ends_its_interpreter_fails_its_slide(project):
    project.deck(f"{FRONT}# Fine\nok\n---\n# Exit\n```{{python}}\nimport os\nos._exit(0)\n```\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "slides_src", "-v", "-p", "no:cacheprovider"],
                         capture_output=True, text=True, cwd=project.root, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 1, run.stdout
    assert "slides_src/t.md::slide-03 FAILED" in run.stdout
    assert ("error: slides_src/t.md:9 (slide 3): the build process ended with exit status 0 (os._exit?) while "
            "running the cell at slides_src/t.md:9 (slide 3)") in run.stdout


# --- 5. a process a cell starts neither keeps the build alive nor outlives it --------------------
STARTERS = {
    "daemon process": "import multiprocessing, time\np = multiprocessing.Process(target=time.sleep, args=(120,), daemon=True)\n"
                      "p.start()\npid = p.pid",
    "os.fork": "import os, time\npid = os.fork()\nif pid == 0:\n    time.sleep(120)\n    os._exit(0)",
}


@pytest.mark.parametrize("name", list(STARTERS))
def test_a_process_a_cell_starts_ends_with_the_build(project, name):
    pidfile = project.root / "grandchild.pid"
    project.deck(f"{FRONT}# Fork\n```{{python}}\n{STARTERS[name]}\nopen({str(pidfile)!r}, 'w').write(str(pid))\n```\n")
    start = time.monotonic()
    run = run_build(project, "--html-only", timeout=60)
    assert run.returncode == 0, run.stderr
    assert time.monotonic() - start < 30
    assert gone(int(pidfile.read_text())), "the process the cell started outlived the build"


@pytest.mark.parametrize("name", list(STARTERS))
def test_a_process_a_cell_starts_does_not_make_the_build_ignore_ctrl_c(project, name):
    pidfile = project.root / "grandchild.pid"
    project.deck(f"{FRONT}# Fork\n```{{python}}\n{STARTERS[name]}\nopen({str(pidfile)!r}, 'w').write(str(pid))\n"
                 "import time\ntime.sleep(60)\n```\n")
    proc = subprocess.Popen(BUILD + ["--html-only"], cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=default_sigint)
    deadline = time.monotonic() + 30
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert time.monotonic() - start < 10
    assert gone(int(pidfile.read_text()))


# --- 13. smaller ones ----------------------------------------------------------------------------
def test_raised_messages_on_slides_keep_no_memory_address(project):
    project.deck(f"{FRONT}# A\n```{{python}}\n#| raises: ValueError\nraise ValueError(object())\n```\n")
    run = run_build(project, "--html-only")
    assert run.returncode == 0, run.stderr
    html = (project.root / "build" / "t.html").read_text(encoding="utf-8")
    assert "ValueError: &lt;object object&gt;" in html and " at 0x" not in html


def test_a_printed_set_does_not_depend_on_the_hash_seed(project):
    project.deck(f"{FRONT}# A\n```{{python}}\nprint({{'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'}})\n```\n")
    built = []
    for seed in ("1", "2", "random", None):
        env = dict(os.environ)
        env.pop("PYTHONHASHSEED", None)
        if seed:
            env["PYTHONHASHSEED"] = seed
        run = subprocess.run(BUILD + ["--html-only", "--no-cache"], cwd=project.root, env=env, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        built.append((project.root / "build" / "t.html").read_bytes())
    assert len(set(built)) == 1


def test_a_callouts_step_beyond_the_slide_is_refused(project):
    project.deck(f'{FRONT}# A\n```{{python}}\n#| callouts: {{"1": "one"}}\n#| callouts-step: 300\nx = 1\n```\n')
    run = run_build(project, "--html-only", timeout=60)
    assert run.returncode == 2
    assert run.stderr.startswith("error: slides_src/t.md:7 (slide 2): callouts-step 300 is beyond the slide's steps "
                                 "(it has 1; callouts can appear at step 2 at the latest)"), run.stderr
    project.deck(f'{FRONT}# A\n```{{python}}\n#| callouts: {{"1": "one"}}\n#| callouts-step: 2\nx = 1\n```\n')
    assert run_build(project, "--html-only").returncode == 0
