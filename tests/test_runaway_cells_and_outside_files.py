"""Hardening: runaway and crashing cells, files outside the project, escaping, killed builds."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers_for_tests import BUILD, run_build
from watch_process import default_sigint

GOOD = "---\ntitle: T\n---\n# Fine\nAll good `{py} 6 * 7`.\n"


def good_outputs(project) -> dict[str, bytes]:
    project.deck(GOOD)
    assert run_build(project).returncode == 0
    return {p.name: p.read_bytes() for p in (project.root / "build").iterdir()}


def assert_unchanged(project, before: dict[str, bytes]) -> None:
    after = {p.name: p.read_bytes() for p in (project.root / "build").iterdir()}
    assert after == before  # no partial or temporary file either


# --- runaway and crashing cells -------------------------------------------------------------
@pytest.mark.slow
def test_endless_loop_ends_with_a_located_error(project):
    before = good_outputs(project)
    project.deck("---\ntitle: T\nexecute: {timeout: 1}\n---\n# Loop\n```{python}\nn = 0\nwhile True:\n"
                 "    try:\n        n += 1\n    except Exception:\n        pass\n```\n")
    start = time.monotonic()
    run = run_build(project)
    assert time.monotonic() - start < 30
    assert run.returncode == 2
    assert run.stderr.startswith("error: slides_src/t.md:")
    assert "(slide 2): cell did not finish within its time limit of 1 s" in run.stderr
    assert_unchanged(project, before)


@pytest.mark.slow
def test_inline_expression_time_limit(project):
    project.deck("---\ntitle: T\nexecute: {timeout: 1}\n---\n# Loop\n`{py} next(i for i in iter(int, 1) if i)`\n")
    run = run_build(project, "--html-only")
    assert run.returncode == 2 and "did not finish within 1 s" in run.stderr
    # A loop inside one C call (no bytecode boundary for the alarm): the supervisor ends it.
    project.deck("---\ntitle: T\nexecute: {timeout: 1}\n---\n# Loop\n`{py} sum(range(10**13))`\n")
    run = run_build(project, "--html-only", env={"DECK_TIMEOUT_GRACE": "1"}, timeout=60)
    assert run.returncode == 2 and "did not stop within its time limit of 1 s" in run.stderr


@pytest.mark.parametrize("code,expect", [
    ("import ctypes\nctypes.string_at(0)", "died from SIGSEGV"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "may have run out of memory"),
    ("import os\nos.abort()", "died from SIGABRT"),
])
@pytest.mark.slow
def test_cell_that_kills_its_process_is_named(project, code, expect):
    before = good_outputs(project)
    project.deck(f"---\ntitle: T\n---\n# Crash\n```{{python}}\nx = 1\n{code}\n```\n")
    run = run_build(project)
    assert run.returncode == 2
    assert run.stderr.startswith("error: slides_src/t.md:6 (slide 2): the build process died"), run.stderr
    assert expect in run.stderr and "while running the cell at slides_src/t.md:6 (slide 2)" in run.stderr
    assert_unchanged(project, before)


@pytest.mark.slow
def test_cell_stuck_in_native_code_is_killed(project):
    # SIGALRM blocked: Python's own time limit cannot fire; the supervising process ends it.
    project.deck("---\ntitle: T\n---\n# Stuck\n```{python}\n#| timeout: 1\nimport signal, time\n"
                 "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\ntime.sleep(60)\n```\n")
    start = time.monotonic()
    run = run_build(project, env={"DECK_TIMEOUT_GRACE": "1"})
    assert time.monotonic() - start < 30
    assert run.returncode == 2
    assert "cell did not stop within its time limit of 1 s" in run.stderr
    assert run.stderr.startswith("error: slides_src/t.md:7 (slide 2)")


# --- files outside the project ----------------------------------------------------------------
SECRET = "TOP-SECRET-7f3a9c"


@pytest.fixture
def outside(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.txt").write_text(SECRET)
    (folder / "secret.md").write_text(SECRET)
    (folder / "secret.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><text>{SECRET}</text></svg>')
    return folder


def _attempts(outside: Path) -> dict[str, str]:
    svg = outside / "secret.svg"
    return {
        "absolute image": f"![x]({svg})",
        "escaping image": f"![x](../../{os.path.relpath(svg, '/')})".replace("../../", "../" * 12),
        "file url image": f"![x](file://{svg})",
        "network image": "![x](http://127.0.0.1:9/secret.svg)",
        "include escape": f'{{% include "../{os.path.relpath(outside / "secret.md", "/")}" %}}'.replace(
            '"../', '"' + "../" * 12),
        "absolute include": f'{{% include "{outside / "secret.md"}" %}}',
        "raw html": f'<img src="file://{svg}"><link rel="stylesheet" href="file://{outside / "secret.txt"}">'
                    f'<iframe src="file://{outside / "secret.txt"}"></iframe>',
        "link": f"[a link](file://{outside / 'secret.txt'})",
        "repr html": "```{python}\nclass T:\n    def _repr_html_(self):\n        return ('<table><tr><td style=\"background:url(file://%s)\">x</td></tr></table>'\n"
                     f"                '<img src=\"file://%s\"><link rel=\"stylesheet\" href=\"file://%s\">' % (3 * ({str(svg)!r},)))\nT()\n```",
        "svg output": "```{python}\nclass S:\n    def _repr_svg_(self):\n        return ('<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"10\" height=\"10\">'\n"
                      f"                '<image href=\"file://{svg}\" width=\"10\" height=\"10\"/></svg>')\nS()\n```",
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", list(_attempts(Path("/x"))))
def test_outside_files_never_reach_an_output(project, outside, name):
    source = _attempts(outside)[name]
    project.deck(f"---\ntitle: T\n---\n# Attempt\n\n{source}\n")
    run = run_build(project)
    assert run.returncode in (0, 2), run.stderr
    if run.returncode == 2:
        assert run.stderr.startswith("error: slides_src/t.md:"), run.stderr   # a located refusal
    for out in (project.root / "build").glob("*") if (project.root / "build").exists() else []:
        data = out.read_bytes()
        assert SECRET.encode() not in data, (name, out.name)
        if out.suffix == ".pdf":
            from pypdf import PdfReader

            assert SECRET not in " ".join(p.extract_text() for p in PdfReader(out).pages)


def test_symlink_to_outside_is_refused(project, outside):
    (project.root / "slides_src" / "pic.svg").symlink_to(outside / "secret.svg")
    project.deck("---\ntitle: T\n---\n# Link\n![x](pic.svg)\n")
    run = run_build(project)
    assert run.returncode == 2 and "outside the project" in run.stderr


# --- escaping ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_html_in_outputs_is_text(project):
    project.deck("""---
title: T
---
# Escaping
```{python}
#| output: comment
class R:
    def __repr__(self):
        return "<b>bold?</b> & <script>alert(1)</script>"
print("<script>alert('printed')</script> & more")
R()
```
Inline: `{py} "<i>not italic</i> & <script>x</script>"`
""")
    run = run_build(project)
    assert run.returncode == 0, run.stderr
    html = (project.root / "build" / "t.html").read_text()
    assert "<script>alert" not in html and "<i>not italic" not in html and "<b>bold?" not in html
    assert "&lt;script&gt;alert(&#x27;printed&#x27;)&lt;/script&gt; &amp; more" in html or \
        "&lt;script&gt;alert('printed')&lt;/script&gt; &amp; more" in html
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(project.root / "build" / "t.pdf").pages)
    assert "<script>alert('printed')</script> & more" in text
    assert "<i>not italic</i> & <script>x</script>" in text


# --- killed builds ----------------------------------------------------------------------------
# Moments spread over a build of this deck forked after its imports (about 2 s): running the cell,
# rendering, the PDF, publishing; the last ones let it finish
DELAYS = (0.2, 0.5, 0.9, 1.3, 1.8, 2.5, 4.0)


@pytest.mark.slow
def test_kill_9_at_any_point_keeps_previous_outputs_and_cache(project):
    source = """---
title: T
---
# Work
```{python}
import time, torch
time.sleep(0.5)
x = torch.zeros(3)
```
`{py} x.shape` and $x^2$, Build 0.
"""
    project.deck(source)
    assert run_build(project).returncode == 0
    before = {p.name: p.read_bytes() for p in (project.root / "build").iterdir()}
    # Forked after the imports (run_build): a fresh interpreter spent the first moments importing torch
    for delay in DELAYS:
        project.deck(source.replace("time.sleep(0.5)", f"time.sleep(0.5)  # {delay}").replace("Build 0", f"Build {delay}"))
        run_build(project, kill_after=delay)
        now = {p.name: p.read_bytes() for p in (project.root / "build").iterdir() if not p.name.startswith(".")}
        finished = now != before
        # Either the previous outputs, or (if the build got to the end) complete new ones.
        if finished:
            assert set(now) == set(before)
            assert now["t.pdf"].startswith(b"%PDF") and now["t.pdf"].rstrip().endswith(b"%%EOF")
        else:
            assert now == before
        # whatever the moment, the HTML and the PDF are from one build
        from pypdf import PdfReader

        pdf_text = " ".join(p.extract_text() for p in PdfReader(project.root / "build" / "t.pdf").pages)
        html_id = re.search(r"Build [0-9.]+", now["t.html"].decode("utf-8")).group(0)
        assert re.search(r"Build [0-9.]+", pdf_text).group(0) == html_id, delay
        before = now
    run = run_build(project, "-v")
    assert run.returncode == 0, run.stderr
    again = run_build(project, "-v")
    assert "ran:" not in again.stderr  # the cache survived the kills and is complete


@pytest.mark.slow
def test_killing_the_build_command_stops_its_worker(project):
    pidfile = project.root / "worker.pid"
    project.deck(f"---\ntitle: T\n---\n# Slow\n```{{python}}\nimport os, time\nopen({str(pidfile)!r}, 'w').write(str(os.getpid()))\n"
                 "time.sleep(60)\n```\n")
    proc = subprocess.Popen(BUILD, cwd=project.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    worker = int(pidfile.read_text())
    assert worker != proc.pid
    proc.kill()  # SIGKILL to the command only, as a CI runner's timeout does
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(worker, signal.SIGKILL)
    raise AssertionError("the build's worker process outlived the command")


@pytest.mark.slow
@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 128 + signal.SIGTERM)])
def test_signal_to_the_command_stops_the_build_quietly(project, sig, code):
    pidfile = project.root / "worker.pid"
    project.deck(f"---\ntitle: T\n---\n# Slow\n```{{python}}\nimport os, time\nopen({str(pidfile)!r}, 'w').write(str(os.getpid()))\n"
                 "time.sleep(60)\n```\n")
    proc = subprocess.Popen(BUILD, cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)
    deadline = time.monotonic() + 30
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    proc.send_signal(sig)  # to the command's pid only, as a service manager would
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == code, err
    assert "Traceback" not in err and "died" not in err
