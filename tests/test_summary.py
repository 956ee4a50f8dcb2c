"""The build's last lines say exactly what was written: a deck is "built" only when its files were."""
from pathlib import Path

from deck.cli.main import summary
from deck.errors import DeckError
from deck.pipeline import DeckReport


def _report(name: str, outputs=(), problems=()) -> DeckReport:
    return DeckReport(name, Path(f"slides_src/{name}.md"), slides=3, pages=4, cells=2,
                      outputs=[Path(o) for o in outputs], problems=list(problems))


def test_a_course_with_a_failed_deck_says_nothing_was_built():
    # a course build publishes every deck or none: the decks that ran fine were not written either
    text = summary([_report("a"), _report("b", problems=[DeckError("boom")])], 1.0, check=False)
    assert "built" not in text.replace("not built", "")
    assert "not written: a" in text and "not built: b (1 problem)" in text


def test_decks_that_were_written_are_listed_with_their_files():
    text = summary([_report("a", outputs=["build/a.html", "build/a.pdf"])], 2.5, check=False)
    assert text.splitlines()[0] == "built 1 deck: 3 slides, 4 pages, 2 cells in 2.5 s"
    assert "  -> build/a.pdf" in text and "not" not in text
