"""What the build reads, built to break deck: settings, front matter, deck sources linked from
elsewhere, a byte order mark, image names, file: and script links.

Attacks that once broke deck (issue 12, "nothing lost, nothing silent"): each test reproduces one.
Numbers in the section titles are the issue's cases. Builds run as the lecturer runs them
(`python build.py`), in a process of their own.
"""
from __future__ import annotations

import struct
import time
import zlib

import pytest
from helpers_for_tests import run_build

FRONT = "---\ntitle: T\n---\n"


# --- 3. every way the build ends says what happened, with the documented exit code ---------------
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


# --- 7, 8, 9. sources and images -----------------------------------------------------------------
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


# --- 13. smaller ones ----------------------------------------------------------------------------
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
