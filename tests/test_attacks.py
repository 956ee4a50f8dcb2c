"""Attacks that once broke deck (issue 12, "nothing lost, nothing silent"): each test reproduces one.

Numbers in the section titles are the issue's cases. Builds run as the lecturer runs them
(`python build.py`), in a process of their own.
"""
from __future__ import annotations

import json
import os
import random
import resource
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from helpers_for_tests import BUILD, ROOT, cache_entries, rewrite_entry, run_build
from watch_process import default_sigint

FRONT = "---\ntitle: T\n---\n"


def gone(pid: int, timeout: float = 10.0) -> bool:
    """Has process `pid` ended (a zombie left to a parent that does not reap it counts as ended)?"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def outputs(project) -> dict[str, bytes]:
    folder = project.root / "build"
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")} if folder.exists() else {}


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


@pytest.mark.parametrize("args,env,expect", [
    (["--timeout", "nan"], {}, "--timeout nan: a time limit is a positive, finite number of seconds"),
    (["--timeout", "inf"], {}, "--timeout inf: a time limit is a positive, finite number of seconds"),
    ([], {"SOURCE_DATE_EPOCH": "99999999999999"}, "SOURCE_DATE_EPOCH='99999999999999': expected a whole number"),
    ([], {"SOURCE_DATE_EPOCH": "yesterday"}, "SOURCE_DATE_EPOCH='yesterday': expected a whole number"),
])
def test_bad_settings_are_usage_errors(project, args, env, expect):
    project.deck(f"{FRONT}# A\nText.\n")
    run = run_build(project, *args, env=env)
    assert run.returncode == 2
    assert expect in run.stderr
    assert not (project.root / "build").exists()


def test_a_billion_laughs_front_matter_is_refused_at_once(project):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]" for i in range(1, 9)]
    project.deck("---\ntitle: T\n" + "\n".join(lines) + "\n---\n# A\nText.\n")
    start = time.monotonic()
    run = run_build(project, "--html-only", timeout=60)
    assert time.monotonic() - start < 15
    assert run.returncode == 2
    assert run.stderr.startswith("error: slides_src/t.md:2: the front matter expands to more than 10,000 values")


def test_a_front_matter_that_contains_itself_is_refused(project):
    project.deck("---\ntitle: T\nloop: &x [1, *x]\n---\n# A\nText.\n")
    run = run_build(project, "--html-only")
    assert run.returncode == 2
    assert run.stderr.startswith("error: slides_src/t.md:2: the front matter contains itself")


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


def test_a_cache_entry_with_an_extra_field_is_read(project):
    project.deck(f"{FRONT}# A\n```{{python}}\nprint('hello from the cell')\n```\n")
    assert run_build(project, "--html-only").returncode == 0
    def from_the_future(payload: bytes) -> bytes:
        data = json.loads(payload)
        if "outputs" in data["result"]:
            for o in data["result"]["outputs"]:
                o["from_the_future"] = 1
            for r in data["result"]["replacements"]:
                r["from_the_future"] = 1
            data["result"]["from_the_future"] = 1
        return json.dumps(data).encode("utf-8")

    for entry in cache_entries(project.root / ".deck_cache", "items"):
        rewrite_entry(entry, from_the_future)
    (project.root / "build" / "t.html").unlink()
    run = run_build(project, "--html-only", "-v")
    assert run.returncode == 0, run.stderr
    assert "cell 1 cached" in run.stderr
    assert "hello from the cell" in (project.root / "build" / "t.html").read_text(encoding="utf-8")


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


# --- 4. a cell that exits is a located cell error, never a pass ---------------------------------
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


# --- 5. a process a cell starts neither keeps the build alive nor outlives it -----------------------
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
        time.sleep(60)
os.replace = slow
sys.argv = [{build!r}, *sys.argv[1:]]
sys.path.insert(0, os.path.dirname({build!r}))
runpy.run_path({build!r}, run_name='__main__')
"""


def _killed_between_renames(project, *groups: str) -> subprocess.CompletedProcess:
    """Build the deck, stopping it between the renames of its HTML and its PDF, then kill -9 the
    process groups named ("builder", "supervisor"); the supervisor's output."""
    window = project.root / "window.pid"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_RENAMES.format(build=BUILD[1]), "t"], cwd=project.root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "DECK_TEST_WINDOW": str(window), "PYTHONHASHSEED": "0"})
    deadline = time.monotonic() + 60
    while not window.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    builder = int(window.read_text())
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
    window = project.root / "window.pid"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_RENAMES.format(build=BUILD[1]).replace("time.sleep(60)",
                                                                                                 "time.sleep(2)")],
                            cwd=project.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True,
                            env={**os.environ, "DECK_TEST_WINDOW": str(window), "PYTHONHASHSEED": "0"})
    deadline = time.monotonic() + 60
    while not window.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    builder = int(window.read_text())
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


# --- 7, 8, 9. sources and images ------------------------------------------------------------------
def test_a_deck_source_linked_from_outside_the_project_is_refused(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.md"
    outside.write_text(f"{FRONT}# Secret\nTOP-SECRET-4b1d\n", encoding="utf-8")
    (project.root / "slides_src" / "t.md").symlink_to(outside)
    run = run_build(project)
    assert run.returncode == 2
    assert run.stderr.startswith("error: slides_src/t.md:1: the deck source is a link to a file outside the project")
    assert not (project.root / "build").exists()
    inside = project.write("notes/real.md", f"{FRONT}# Inside\nA linked source inside the project builds.\n")
    (project.root / "slides_src" / "t.md").unlink()
    (project.root / "slides_src" / "t.md").symlink_to(inside)
    assert run_build(project, "--html-only").returncode == 0


def test_watch_refuses_a_deck_source_linked_from_outside_the_project(project, tmp_path_factory):
    from watch_process import WatchProcess

    outside = tmp_path_factory.mktemp("outside") / "secret.md"
    outside.write_text(f"{FRONT}# Secret\nTOP-SECRET-4b1d\n", encoding="utf-8")
    (project.root / "slides_src" / "t.md").symlink_to(outside)
    watch = WatchProcess(project.root)
    try:
        state = watch.wait_status(lambda s: s["failures"] == 1)
    finally:
        watch.stop()
    assert state["error"].startswith("slides_src/t.md:1: the deck source is a link to a file outside the project")
    assert not (project.root / "build" / "t.html").exists()


def test_a_byte_order_mark_does_not_hide_the_front_matter(project):
    project.deck("\ufeff---\ntitle: Titre du cours\nlang: fr\n---\n# Un\nLa valeur : `{py} 12345`.\n")
    run = run_build(project, "--html-only")
    assert run.returncode == 0, run.stderr
    html = (project.root / "build" / "t.html").read_text(encoding="utf-8")
    assert '<html lang="fr"' in html
    assert "Titre du cours" in html and "title: Titre" not in html
    assert "12\u202f345" in html


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def test_image_names_with_accents_and_spaces(project):
    for name in ("schéma.png", "mon image.png", "100%.png"):
        (project.root / "slides_src" / name).write_bytes(_png())
    project.deck(f"{FRONT}# Images\n![a](schéma.png) ![b](<mon image.png>) ![c](mon%20image.png) ![d](100%25.png)\n")
    run = run_build(project, "--html-only")
    assert run.returncode == 0, run.stderr
    assert (project.root / "build" / "t.html").read_text(encoding="utf-8").count('src="data:image/png;base64,') == 4
    project.deck(f"{FRONT}# Images\n![a](schémas.png)\n")
    run = run_build(project, "--html-only")
    assert run.returncode == 2 and "image 'schémas.png' cannot be read" in run.stderr


# --- 12. what the cache gives back is cleaned again ----------------------------------------------
def test_a_poisoned_cache_carries_nothing_into_a_deck(project):
    project.deck(f"{FRONT}# A\n```{{python}}\nclass T:\n    def _repr_html_(self):\n"
                 "        return '<table><tr><td>cell</td></tr></table>'\nT()\n```\nand $x^2$\n")
    assert run_build(project, "--html-only").returncode == 0
    cache = project.root / ".deck_cache"
    poisoned = 0
    # signed by a holder of the key (a colleague sharing the cache): cleaned all the same
    def html_output(payload: bytes) -> bytes:
        nonlocal poisoned
        data = json.loads(payload)
        for o in data["result"].get("outputs", []):
            if o["kind"] == "html":
                o["content"] += '<img src=x onerror="alert(1)"><script>alert(2)</script>'
                poisoned += 1
        return json.dumps(data).encode("utf-8")

    def math_svg(payload: bytes) -> bytes:
        nonlocal poisoned
        poisoned += 1
        return (payload.decode("utf-8").replace("<path ", '<path onload="alert(3)" ', 1)
                .replace("</svg>", '<script>alert(4)</script></svg>').encode("utf-8"))

    for entry in cache_entries(cache, "items"):
        rewrite_entry(entry, html_output)
    for svg in cache_entries(cache, "math"):
        rewrite_entry(svg, math_svg)
    assert poisoned == 2
    (project.root / "build" / "t.html").unlink()
    run = run_build(project, "--html-only", "-v")
    assert run.returncode == 0 and "cell 1 cached" in run.stderr
    html = (project.root / "build" / "t.html").read_text(encoding="utf-8")
    assert "<td>cell</td>" in html and 'class="math"' in html
    for bad in ("onerror", "onload", "alert("):
        assert bad not in html


# --- 13. smaller ones ------------------------------------------------------------------------------
@pytest.mark.parametrize("source,expect", [
    ("![x](file:///etc/hostname)", "error: slides_src/t.md:5 (slide 2): image 'file:///etc/hostname': only files "
                                   "inside the project can be shown"),
    ("[x](javascript:alert(1))", "error: slides_src/t.md:5 (slide 2): link 'javascript:alert(1)': javascript:, "
                                 "vbscript:, file: and data: links are refused"),
    ("[x](file:///etc/hostname)", "error: slides_src/t.md:5 (slide 2): link 'file:///etc/hostname'"),
])
def test_file_and_script_urls_are_located_refusals_not_raw_markdown(project, source, expect):
    project.deck(f"{FRONT}# A\n{source}\n")
    run = run_build(project, "--html-only")
    assert run.returncode == 2
    assert run.stderr.startswith(expect), run.stderr


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


# --- 15. the Ctrl-C tests set the signal disposition they rely on -----------------------------------
@pytest.mark.slow
def test_ctrl_c_tests_pass_where_sigint_is_ignored():
    """As `cmd &` in a script: the suite itself runs with SIGINT ignored, its processes inherit that."""
    tests = ["tests/test_runaway_cells_and_outside_files.py::test_signal_to_the_command_stops_the_build_quietly",
             "tests/test_watch.py::test_ctrl_c_in_a_terminal_stops_server_and_worker"]
    run = subprocess.run([sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert run.returncode == 0, run.stdout[-3000:]
