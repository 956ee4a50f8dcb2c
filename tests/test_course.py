"""A course, not one deck: settings shared in `slides_src/_course.yml`, includes anywhere inside the
project, and `python build.py` writing every deck's outputs and the index page, all together."""
from __future__ import annotations

import os
import re
import subprocess

import pytest
from helpers_for_tests import run_build

from deck.errors import SourceError
from deck.source import parse_file

COURSE = """\
# Course settings: every deck of slides_src/ starts from these
author: Pierre Lepetit
lang: fr
theme: meteofrance
course: Machine Learning
institution: [République, Française]
execute: {timeout: 30}
grid: 256
"""

LECTURE = """\
---
title: {title}
date: {date}
{extra}---
# {title}

Grille {{{{ grid }}}} × {{{{ grid }}}} : `{{py}} {n} * 1000 => ?` points.
"""


@pytest.fixture
def course(project):
    project.write("slides_src/_course.yml", COURSE)
    project.deck(LECTURE.format(title="Recap' n°3", date="2024-11-08", extra="", n=7), "recap3")
    project.deck(LECTURE.format(title="Recap' n°4", date="2024-11-15", extra="lang: en\nexecute: {meta: true}\n", n=9),
                 "recap4")
    return project


def build(project, *args) -> subprocess.CompletedProcess:
    return run_build(project, *args)


def test_decks_start_from_the_course_settings_and_override_them(course):
    three = parse_file(course.root / "slides_src" / "recap3.md", course.root)
    four = parse_file(course.root / "slides_src" / "recap4.md", course.root)
    assert three.front_matter["author"] == four.front_matter["author"] == "Pierre Lepetit"
    assert three.front_matter["theme"] == "meteofrance" and three.lang == "fr" and four.lang == "en"
    assert "Grille 256 × 256" in three.slides[1].markdown  # a course key is a Jinja variable too
    assert three.cell_defaults == {"timeout": 30} and four.cell_defaults == {"timeout": 30, "meta": True}
    assert course.root / "slides_src" / "_course.yml" in three.files  # cache keys and --watch follow it


@pytest.mark.parametrize("line, replacement, message", [
    ("theme: meteofrance", "theme: fancy", "4: front matter: theme must be default or meteofrance, not 'fancy'"),
    ("execute: {timeout: 30}", "execute: {timeout: -1}", "7: front matter: execute.timeout must be a positive"),
    ("execute: {timeout: 30}", "execute: {speed: 3}", "7: front matter: execute.speed is not a deck-wide cell option"),
    ("grid: 256", "grid: [1, 2", "9: invalid YAML in the course settings"),
    ("institution: [République, Française]", "institution: République", "6: front matter: institution has a bad value"),
])
def test_errors_in_the_course_settings_are_located_there(course, line, replacement, message):
    settings = course.root / "slides_src" / "_course.yml"
    settings.write_text(COURSE.replace(line, replacement), encoding="utf-8")
    run = build(course, "--check", "--no-layout")
    assert run.returncode == 2
    assert f"error: slides_src/_course.yml:{message}" in run.stderr


def test_a_deck_key_error_is_located_at_its_line_in_the_deck(course):
    course.deck("---\ntitle: T\nsubtitle: S\ntheme: plain\n---\n# S\n", "other")
    run = build(course, "other", "--check", "--no-layout")
    assert "error: slides_src/other.md:4: front matter: theme must be default or meteofrance" in run.stderr


def test_a_deck_in_a_chapter_folder_includes_shared_snippets(project):
    project.write("slides_src/snippets/intro.md", "Partagé par tous les chapitres.\n")
    deck = project.write("slides_src/chapitre1/cours.md",
                         '---\ntitle: T\n---\n# S\n{% include "../snippets/intro.md" %}\n')
    parsed = parse_file(deck, project.root)
    assert "Partagé par tous les chapitres." in parsed.slides[1].markdown
    assert project.root / "slides_src" / "snippets" / "intro.md" in parsed.files


@pytest.mark.parametrize("include", ["../../outside.md", "{outside}", "link.md"])
def test_includes_never_leave_the_project(project, tmp_path_factory, include):
    outside = tmp_path_factory.mktemp("elsewhere") / "outside.md"
    outside.write_text("secret\n", encoding="utf-8")
    (project.root / "outside.md").write_text("not the project's sources, yet inside it\n", encoding="utf-8")
    os.symlink(outside, project.root / "slides_src" / "link.md")
    name = include.format(outside=outside)
    deck = project.deck(f'---\ntitle: T\n---\n# S\n{{% include "{name}" %}}\n')
    if include == "../../outside.md":  # slides_src/../../ is the project's parent
        (project.root.parent / "outside.md").write_text("secret\n", encoding="utf-8")
    with pytest.raises(SourceError) as err:
        parse_file(deck, project.root)
    assert str(err.value).splitlines()[0] == (
        f"slides_src/t.md:5: included file not found: {name} (only files inside the project can be included)")


def test_inside_the_project_dot_dot_reaches_the_root(project):
    (project.root / "outside.md").write_text("At the project's root.\n", encoding="utf-8")
    deck = project.deck('---\ntitle: T\n---\n# S\n{% include "../outside.md" %}\n')
    assert "At the project's root." in parse_file(deck, project.root).slides[1].markdown


@pytest.mark.slow
def test_python_build_py_builds_the_course_and_its_index(course):
    run = build(course)
    assert run.returncode == 0, run.stderr
    out = course.root / "build"
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["index.html", *(f"{d}{end}" for d in ("recap3", "recap4") for end in (
        "-handout.pdf", "-student.pdf", ".html", ".pdf", ".ipynb", "-student.ipynb", ".pptx"))])
    assert run.stdout.strip().splitlines()[-1] == "  -> build/index.html"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in index and "<title>Machine Learning</title>" in index
    assert index.index("Recap&#39; n°3") < index.index("Recap&#39; n°4")
    assert "08/11/2024" in index and "15/11/2024" in index  # in the course's language
    for label in ("Diapositives", "PDF étudiant", "Polycopié"):
        assert label in index
    links = re.findall(r'href="([^"]+)"', index)
    assert sorted(set(links)) == sorted(n for n in names if n != "index.html")
    assert all((out / link).is_file() for link in links)
    # self-contained: nothing fetched from anywhere
    assert not re.search(r'(src|href)="(https?:|//|/)', index) and "<script" not in index and "<link" not in index
    # the student PDF has no answer, the teacher's and the handout have it
    from pypdf import PdfReader

    def text(name):
        return " ".join(p.extract_text() for p in PdfReader(out / name).pages)
    assert "7000" in text("recap3.pdf") and "7000" in text("recap3-handout.pdf")
    assert "7000" not in text("recap3-student.pdf") and "?" in text("recap3-student.pdf")
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert build(course).returncode == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # same sources, same bytes


@pytest.mark.slow
def test_a_failing_deck_publishes_nothing_of_the_course(course):
    assert build(course).returncode == 0
    out = course.root / "build"
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    course.deck(LECTURE.format(title="Recap' n°4", date="2024-11-15", extra="", n=9).replace("=> ?", "=> 1"),
                "recap4")
    course.deck(LECTURE.format(title="Recap' n°3", date="2024-11-22", extra="", n=7), "recap3")
    run = build(course)
    assert run.returncode == 1 and "claim is false" in run.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # not even recap3's new date


@pytest.mark.slow
def test_naming_a_deck_or_an_output_builds_just_that(course):
    assert build(course, "recap3").returncode == 0
    assert sorted(p.name for p in (course.root / "build").iterdir()) == ["recap3.html", "recap3.pdf"]
    assert build(course, "--student", "--pdf-only").returncode == 0
    assert not (course.root / "build" / "index.html").exists()
    assert (course.root / "build" / "recap4-student.pdf").is_file()
