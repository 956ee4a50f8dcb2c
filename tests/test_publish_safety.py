"""Outputs are never lost silently: names that collide are refused before anything is written, and an
older build never publishes over a newer one (shared/publish.py)."""
from __future__ import annotations

import threading
import time

import pytest

from deck.errors import DeckError
from deck.pipeline import build
from deck.shared import publish

FRONT = "---\ntitle: T\n---\n# A\ntext\n"


def test_a_deck_and_the_student_version_of_another_writing_one_file_are_refused(project):
    project.deck(FRONT, "x")
    project.deck(FRONT, "x-student")
    with pytest.raises(DeckError) as err:
        build(project.options(course=True, decks=["x", "x-student"]))  # the course writes x-student.pdf
    assert "slides_src/x.md and slides_src/x-student.md would both write build/x-student" in err.value.message
    assert not (project.root / "build").exists()


def test_names_that_collide_are_named(tmp_path):
    with pytest.raises(DeckError) as err:
        publish.check_names([("slides_src/index.md", [tmp_path / "index.html"]),
                             ("the course index", [tmp_path / "index.html"])])
    assert err.value.message.startswith("slides_src/index.md and the course index would both write")


def test_an_older_build_does_not_publish_over_a_newer_one(tmp_path):
    target = tmp_path / "out" / "t.html"
    publish.begin_build([], type("O", (), {"check": False, "course": False, "output_dir": tmp_path,
                                            "variants": lambda self: []})(), "index.html")
    older = publish._started[0]
    publish._started[0] = older + 10**9  # a build started a second later publishes first
    publish.publish_newest({target: b"newer"})
    publish._started[0] = older
    with pytest.raises(DeckError) as err:
        publish.publish_newest({target: b"older"})
    assert "started after this one" in err.value.message and target.read_bytes() == b"newer"


def test_a_second_build_waits_for_the_lock_and_says_so(tmp_path):
    said = []
    with publish.folder_lock(tmp_path):
        done = threading.Event()

        def second():
            with publish.folder_lock(tmp_path, said.append):
                done.set()

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        assert not done.is_set()
    thread.join(5)
    assert done.is_set() and said == [f"waiting for another build publishing to {publish.display_path(tmp_path)}"]
