"""Inputs built to break deck: each gives a located message and exit code 2, never a hang, a crash
or a silent build. Builds run in-process through the command line's own `main`.
"""
from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import pytest

from deck.cli.main import main
from deck.errors import EXIT_ERROR

FRONT = "---\ntitle: T\n---\n"


def build(capsys, *args) -> tuple[int, str]:
    """`python build.py ARGS` run in this process: (exit code, what it printed to stderr)."""
    code = main(list(args))
    return code, capsys.readouterr().err


RELEASE_AFTER = 8.0  # seconds: a build that took this long waited on the FIFO


def release_fifo_later(fifo: Path, after: float = RELEASE_AFTER) -> threading.Thread:
    """If a reader blocks on `fifo` (deck without its regular-file check), give it an end of file
    after `after` seconds so that the test fails instead of hanging."""
    def release():
        threading.Event().wait(after)
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass  # no reader waits: deck refused the FIFO, as it should

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    return thread


# --- a deck file outside the project, given by its path --------------------------------------------
def test_a_deck_outside_the_project_given_by_its_path_is_refused(project, tmp_path_factory, capsys):
    outside = tmp_path_factory.mktemp("elsewhere") / "o.md"
    outside.write_text(FRONT + "# Hi\n", encoding="utf-8")
    code, err = build(capsys, str(outside), "--html-only")
    assert code == EXIT_ERROR
    assert f"error: {outside}:1: the deck source is outside the project" in err
    assert not (project.root / "build").exists()


def test_a_deck_inside_the_project_given_by_its_absolute_path_builds(project, capsys):
    path = project.deck(FRONT + "# Hi\n")
    code, err = build(capsys, str(path.resolve()), "--html-only")
    assert (code, err) == (0, "")
    assert (project.root / "build" / "t.html").is_file()


# --- data: links ----------------------------------------------------------------------------------
@pytest.mark.parametrize("link", ["data:image/png;base64,iVBORw0KGgo=", "<da\tta:image/png;base64,iVBORw0KGgo=>",
                                  "DATA:text/html,hi"])
def test_data_links_are_refused_at_their_line(project, capsys, link):
    project.deck(FRONT + f"# Hi\n\ntext\n\n[x]({link})\n")
    code, err = build(capsys, "--html-only")
    assert code == EXIT_ERROR
    assert err.startswith("error: slides_src/t.md:8 (slide 2): link ")
    assert "data: links are refused" in err


# --- only regular files are read ------------------------------------------------------------------
@pytest.mark.parametrize("deck,fifo,args,expect", [
    ("# Hi\n\n![a picture](f.png)\n", "f.png", ["--html-only"],
     "error: slides_src/t.md:6 (slide 2): image 'f.png' cannot be read: not a regular file but a FIFO"),
    ("# Hi\n\n{% include '_part.md' %}\n", "_part.md", ["--html-only"],
     "error: slides_src/t.md:6: included file _part.md cannot be read: not a regular file but a FIFO"),
    (None, "t.md", ["--html-only"], "error: slides_src/t.md:1: cannot read the source: not a regular file but a FIFO"),
    (None, "t.md", ["t", "--html-only"], "slides_src/t.md: not a regular file, so not a deck source"),
    ("# Hi\n", "_course.yml", ["--html-only"],
     "error: slides_src/_course.yml:1: cannot read the course settings: not a regular file but a FIFO"),
], ids=["image", "include", "deck source", "deck named on the command line", "course settings"])
def test_a_fifo_is_a_located_error_not_a_hang(project, capsys, deck, fifo, args, expect):
    if deck is not None:
        project.deck(FRONT + deck)
    path = project.root / "slides_src" / fifo
    os.mkfifo(path)
    release_fifo_later(path)
    start = time.monotonic()
    code, err = build(capsys, *args)
    assert time.monotonic() - start < RELEASE_AFTER, "the build waited on the FIFO"
    assert code == EXIT_ERROR
    assert expect in err, err


# --- images that cannot be drawn ------------------------------------------------------------------
def _png(size=(40, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, "PNG")
    return out.getvalue()


def _bomb() -> bytes:
    from PIL import Image

    side = int((2 * Image.MAX_IMAGE_PIXELS) ** 0.5) + 1  # past the size Pillow refuses to decode
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    return out.getvalue()


SVG = "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><rect width='5' height='5'/></svg>"


@pytest.mark.parametrize("name,data,why", [
    ("cut.png", lambda: _png()[:len(_png()) // 2], "the PNG file is damaged"),
    ("junk.jpg", lambda: b"not a picture at all", "it is not a JPEG file"),
    ("bomb.png", _bomb, "it has more pixels than an image may have"),
    ("bad.svg", lambda: SVG[:-8].encode(), "the SVG is not well-formed XML"),
    ("doctype.svg", lambda: ("<?xml version='1.0'?><!DOCTYPE svg [<!ENTITY a 'x'>]>" + SVG).encode(),
     "the SVG declares a DOCTYPE or entities"),
    ("html.svg", lambda: b"<html><body/></html>", "the file is XML but not an SVG document"),
], ids=["truncated png", "not a jpeg", "decompression bomb", "malformed svg", "svg doctype", "xml not svg"])
def test_an_image_that_cannot_be_drawn_is_a_located_error(project, capsys, name, data, why):
    project.deck(FRONT + f"# Hi\n\n![a picture]({name})\n")
    (project.root / "slides_src" / name).write_bytes(data())
    code, err = build(capsys, "--html-only")
    assert code == EXIT_ERROR
    assert err.startswith(f"error: slides_src/t.md:6 (slide 2): image {name!r} cannot be drawn: {why}")


def test_images_that_can_be_drawn_still_are(project, capsys):
    project.deck(FRONT + "# Hi\n\n![a](a.png) ![b](b.svg)\n")
    (project.root / "slides_src" / "a.png").write_bytes(_png())
    (project.root / "slides_src" / "b.svg").write_text(SVG, encoding="utf-8")
    code, err = build(capsys, "--html-only")
    assert (code, err) == (0, "")
    assert (project.root / "build" / "t.html").read_text(encoding="utf-8").count("<img src=\"data:image/") == 2


# --- messages that name the real problem ----------------------------------------------------------
def test_a_binary_include_is_named_as_not_text_not_as_missing(project, capsys):
    project.deck(FRONT + "# Hi\n\n{% include '_blob.md' %}\n")
    (project.root / "slides_src" / "_blob.md").write_bytes(b"line one\nline two\n\xff\xfe\x00binary")
    code, err = build(capsys, "--html-only")
    assert code == EXIT_ERROR
    assert err.startswith("error: slides_src/t.md:6: included file _blob.md is not UTF-8 text: byte 0xff on line 3")


def test_invalid_utf8_is_reported_at_its_line(project, capsys):
    (project.root / "slides_src" / "t.md").write_bytes((FRONT + "# Hi\n\nfine\n\nbad \xff here\n").encode("latin-1"))
    code, err = build(capsys, "--html-only")
    assert code == EXIT_ERROR
    assert err.startswith("error: slides_src/t.md:8: cannot read the source: not UTF-8 text: byte 0xff on line 8")


def test_a_date_that_does_not_exist_is_reported_at_its_line_with_its_key(project, capsys):
    project.deck("---\ntitle: T\nauthor: A\ndate: 2024-02-30\n---\n# Hi\n")
    code, err = build(capsys, "--html-only")
    assert code == EXIT_ERROR
    assert err.startswith("error: slides_src/t.md:4: invalid value in the front matter (date): day is out of range")


def test_a_course_date_that_does_not_exist_is_reported_at_its_line_with_its_key(project, capsys):
    project.write("slides_src/_course.yml", "author: A\n\ndate: 2024-13-01\n")
    project.deck(FRONT + "# Hi\n")
    code, err = build(capsys, "--html-only")
    assert code == EXIT_ERROR
    assert err.startswith("error: slides_src/_course.yml:3: invalid value in the course settings (date): month")


def test_invalid_utf8_in_the_course_settings_is_reported_at_its_line(project, capsys):
    (project.root / "slides_src" / "_course.yml").write_bytes("author: A\nplace: caf\xe9\n".encode("latin-1"))
    project.deck(FRONT + "# Hi\n")
    code, err = build(capsys, "--html-only")
    assert code == EXIT_ERROR
    assert err.startswith("error: slides_src/_course.yml:2: cannot read the course settings: not UTF-8 text: "
                          "byte 0xe9 on line 2")


def test_a_huge_sparse_image_is_refused_without_being_read(project, capsys):
    from deck.shared.files import MAX_INPUT_BYTES

    project.deck(FRONT + "# Hi\n\n![a picture](huge.png)\n")
    with open(project.root / "slides_src" / "huge.png", "wb") as fh:
        fh.truncate(MAX_INPUT_BYTES * 64)  # sparse: no disk used, but reading it would fill memory
    code, err = build(capsys, "--html-only")
    assert code == EXIT_ERROR
    assert err.startswith(f"error: slides_src/t.md:6 (slide 2): image 'huge.png' cannot be read: too large "
                          f"({MAX_INPUT_BYTES * 64:,} bytes; at most {MAX_INPUT_BYTES:,})")


def test_the_readme_states_the_input_size_cap():
    from helpers_for_tests import ROOT

    from deck.shared.files import MAX_INPUT_BYTES

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"of at most {MAX_INPUT_BYTES // 2**20} MiB" in readme


def test_a_binary_include_that_decodes_as_utf8_is_named_as_binary(project, capsys):
    project.deck(FRONT + "# Hi\n\n{% include '_zeros.md' %}\n")
    (project.root / "slides_src" / "_zeros.md").write_bytes(b"text\n\0\0\0\0")  # valid UTF-8, not text
    code, err = build(capsys, "--html-only")
    assert code == EXIT_ERROR
    assert err.startswith("error: slides_src/t.md:6: included file _zeros.md is a binary file, not text "
                          "(a NUL byte on line 2)")


def test_a_truncated_image_is_refused_after_weasyprint_was_imported_too():
    """WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process (a build that laid out
    a PDF before): the check must not then take a truncated PNG for a whole one."""
    import weasyprint  # noqa: F401

    from deck.render.assets import image_problem

    assert "damaged" in (image_problem(_png()[:-30], "image/png") or "")
