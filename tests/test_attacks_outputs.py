"""What the build writes, attacked: an output folder that cannot be written, a full disk, kill -9
during a publication, a crash in one deck of a parallel build; the previous outputs stay whole,
or the HTML and the PDF are those of one build.

Attacks that once broke deck (issue 12, "nothing lost, nothing silent"): each test reproduces one.
Numbers in the section titles are the issue's cases. Builds run as the lecturer runs them
(`python build.py`), in a process of their own.
"""
from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time

import pytest
from helpers_for_tests import BUILD, gone, run_build

FRONT = "---\ntitle: T\n---\n"


# --- 3. every way the build ends says what happened, with the documented exit code ---------------
def outputs(project) -> dict[str, bytes]:
    folder = project.root / "build"
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")} if folder.exists() else {}


def test_an_output_folder_that_cannot_be_written_is_said(project):
    project.deck(f"{FRONT}# A\nText.\n")
    (project.root / "afile").write_text("not a folder")
    run = run_build(project, "-o", "afile/build", "--html-only")
    assert run.returncode == 2
    assert run.stderr.startswith("error: cannot write afile/build/t.html: Not a directory; previous outputs are "
                                 "unchanged"), run.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_said_and_leaves_the_previous_outputs(project):
    project.deck(f"{FRONT}# A\nFirst.\n")
    assert run_build(project).returncode == 0
    before = outputs(project)
    project.deck(f"{FRONT}# A\nSecond.\n")
    (project.root / "build").chmod(0o555)
    try:
        run = run_build(project)
    finally:
        (project.root / "build").chmod(0o755)
    assert run.returncode == 2
    assert run.stderr.startswith("error: cannot write build/t.html: Permission denied; previous outputs are unchanged")
    assert outputs(project) == before


def test_a_full_disk_is_said_and_leaves_the_previous_outputs(project):
    project.deck(f"{FRONT}# A\nFirst.\n")
    assert run_build(project, "t").returncode == 0
    before = outputs(project)
    project.deck(f"{FRONT}# A\nSecond.\n")

    def small_files():  # files beyond 64 KB cannot be written, as on a full disk (Python ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    run = subprocess.run(BUILD + ["t"], cwd=project.root, capture_output=True, text=True, timeout=120,
                         preexec_fn=small_files)
    assert run.returncode == 2
    assert run.stderr.startswith("error: cannot write build/t.html: File too large; previous outputs are unchanged")
    assert outputs(project) == before
    assert sorted(p.name for p in (project.root / "build").iterdir()) == ["t.html", "t.pdf"]  # no temporary left


# --- 6. HTML and PDF from one build, whatever kills it -------------------------------------------
@pytest.mark.slow
def test_publication_under_kill_9_at_random_moments_is_all_or_nothing(tmp_path):
    """50 runs: a supervising process forks a publisher that dies with it (as build.py's child does),
    which publishes the HTML and the PDF of build N, its renames slowed down; the supervisor is killed
    -9 at a random moment. The HTML and the PDF are then always those of one build."""
    from deck.shared.files import publish
    from deck.shared.signals import die_with_parent

    html, pdf = tmp_path / "build" / "t.html", tmp_path / "build" / "t.pdf"
    publish({html: b"build 0", pdf: b"build 0"})
    rng = random.Random(20241025)
    seen = set()
    for n in range(1, 51):
        publisher_pid = tmp_path / f"publisher-{n}"
        supervisor = os.fork()
        if supervisor == 0:
            try:
                parent = os.getpid()
                child = os.fork()
                if child == 0:
                    try:
                        die_with_parent(parent)
                        publisher_pid.with_suffix(".tmp").write_text(str(os.getpid()))
                        os.replace(publisher_pid.with_suffix(".tmp"), publisher_pid)  # whole, even if killed
                        real = os.replace

                        def slow(src, dst):
                            real(src, dst)
                            time.sleep(0.02)

                        os.replace = slow
                        publish({html: f"build {n}".encode(), pdf: f"build {n}".encode()})
                    finally:
                        os._exit(0)
                os.waitpid(child, 0)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, 0.1))
        os.kill(supervisor, signal.SIGKILL)
        os.waitpid(supervisor, 0)
        if publisher_pid.exists():
            assert gone(int(publisher_pid.read_text())), "the publisher outlived its supervisor"
        shown = (html.read_bytes(), pdf.read_bytes())
        assert shown[0] == shown[1], f"run {n}: HTML of {shown[0]!r}, PDF of {shown[1]!r}"
        seen.add(shown[0] == f"build {n}".encode())
    assert seen == {True, False}  # some kills came before the publication, some during or after


SLOW_RENAMES = """
import os, runpy, sys, time
real = os.replace
def slow(src, dst):
    real(src, dst)
    if str(dst).endswith('.html'):  # the HTML is in place, the PDF not yet: the moment of a mix
        window = os.environ['DECK_TEST_WINDOW']
        with open(window + '.part', 'w') as fh:  # whole once it is there: the test reads it at once
            fh.write(str(os.getpid()))
        real(window + '.part', window)
        time.sleep({pause})
os.replace = slow
sys.argv = [{build!r}, *sys.argv[1:]]
sys.path.insert(0, os.path.dirname({build!r}))
runpy.run_path({build!r}, run_name='__main__')
"""


def _between_renames(project, *args: str, pause: float = 60, **streams) -> tuple[subprocess.Popen, int]:
    """`python build.py ARGS` started in a session of its own, its renames slowed down, once its
    builder stands between the renames of the HTML and the PDF (for `pause` seconds): the command's
    process and the builder's pid."""
    window = project.root / "window.pid"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_RENAMES.format(build=BUILD[1], pause=pause), *args],
                            cwd=project.root, start_new_session=True, **streams,
                            env={**os.environ, "DECK_TEST_WINDOW": str(window), "PYTHONHASHSEED": "0"})
    deadline = time.monotonic() + 60
    while not window.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc, int(window.read_text())


def _killed_between_renames(project, *groups: str) -> subprocess.CompletedProcess:
    """Build the deck, stopping it between the renames of its HTML and its PDF, then kill -9 the
    process groups named ("builder", "supervisor"); the supervisor's output."""
    proc, builder = _between_renames(project, "t", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for group in groups:
        os.killpg(builder if group == "builder" else proc.pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert gone(builder)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _build_id(project) -> tuple[str, str]:
    """The `Build N` each output shows."""
    import re

    from pypdf import PdfReader

    html = (project.root / "build" / "t.html").read_text(encoding="utf-8")
    pdf = " ".join(p.extract_text() for p in PdfReader(project.root / "build" / "t.pdf").pages)
    return re.search(r"Build \d+", html).group(0), re.search(r"Build \d+", pdf).group(0)


def test_a_builder_killed_between_its_renames_is_completed_and_said(project):
    project.deck(f"{FRONT}# A\nBuild 1.\n")
    assert run_build(project, "t").returncode == 0
    project.deck(f"{FRONT}# A\nBuild 2.\n")
    run = _killed_between_renames(project, "builder")  # as the out-of-memory killer would
    assert run.returncode == 2
    assert "previous outputs are unchanged" not in run.stderr
    assert run.stderr.startswith("error: the build process died from SIGKILL (the system may have run out of memory) "
                                 "outside any cell; outputs written before it ended, each set whole: build/t.html, "
                                 "build/t.pdf"), run.stderr
    assert _build_id(project) == ("Build 2", "Build 2")
    assert not list((project.root / "build").glob(".*"))


@pytest.mark.slow
def test_a_supervisor_killed_between_the_renames_waits_for_the_last(project):
    project.deck(f"{FRONT}# A\nBuild 1.\n")
    assert run_build(project).returncode == 0
    project.deck(f"{FRONT}# A\nBuild 2.\n")
    proc, builder = _between_renames(project, pause=2, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.killpg(proc.pid, signal.SIGKILL)  # the command's group, as a CI runner's timeout does
    proc.wait()
    assert gone(builder, timeout=20), "the builder outlived its supervisor"
    assert _build_id(project) == ("Build 2", "Build 2")


@pytest.mark.slow
def test_a_publication_cut_by_kill_9_is_completed_by_the_next_build_even_a_failing_one(project):
    project.deck(f"{FRONT}# A\nBuild 1.\n")
    assert run_build(project).returncode == 0
    project.deck(f"{FRONT}# A\nBuild 2.\n")
    _killed_between_renames(project, "builder", "supervisor")  # both at once: nobody left to finish
    assert _build_id(project) == ("Build 2", "Build 1")  # the mix a journal is there to repair
    project.deck(f"{FRONT}# A\nBuild 3.\n```{{python}}\n1 / 0\n```\n")
    run = run_build(project)
    assert run.returncode == 2 and "ZeroDivisionError" in run.stderr
    assert _build_id(project) == ("Build 2", "Build 2")
    assert not list((project.root / "build").glob(".*"))


@pytest.mark.slow
def test_a_crash_in_one_deck_of_a_parallel_build_is_named_and_the_others_are_built(project):
    project.deck(f"{FRONT}# A\nDeck a.\n", name="a")
    project.deck(f"{FRONT}# B\n```{{python}}\nimport ctypes, time\ntime.sleep(3)\nctypes.string_at(0)\n```\n", name="b")
    run = run_build(project, "a", "b")  # decks named: each published on its own
    assert run.returncode == 2
    assert run.stderr.startswith("error: slides_src/b.md:6 (slide 2): the build process died from SIGSEGV while "
                                 "running the cell at slides_src/b.md:6 (slide 2); "), run.stderr
    assert "previous outputs of b are unchanged" in run.stderr or "build/a.html" in run.stderr
    assert {"a.html", "a.pdf"} <= set(outputs(project)) and "b.html" not in outputs(project)
