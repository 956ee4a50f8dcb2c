"""The course's index page, `build/index.html`: every deck with its title, date and links to its HTML
deck, PDF, student PDF, handout, notebooks (teacher and student) and PowerPoint file. One self-contained
file (styles and fonts inline, links relative),
in the course's language: the output folder is ready to publish as a static site."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote  # a deck named `q#1` or `s%41` links to its own files

from ..document import Deck
from ..shared.locale import format_date
from .assets import theme_css
from .documents import _env

LABELS = {
    "fr": {"course": "Cours", "slides": "Diapositives", "pdf": "PDF", "student": "PDF étudiant",
           "handout": "Polycopié", "decks": "Séances", "notebook": "Carnet (ipynb)",
           "student_notebook": "Carnet étudiant", "pptx": "PowerPoint"},
    "en": {"course": "Course", "slides": "Slides", "pdf": "PDF", "student": "Student PDF",
           "handout": "Handout", "decks": "Lectures", "notebook": "Notebook (ipynb)",
           "student_notebook": "Student notebook", "pptx": "PowerPoint"},
}
# what each link points at, by the suffix the build gives its file (pipeline.COURSE_OUTPUTS)
LINKS = (("slides", ".html"), ("pdf", ".pdf"), ("student", "-student.pdf"), ("handout", "-handout.pdf"),
         ("notebook", ".ipynb"), ("student_notebook", "-student.ipynb"), ("pptx", ".pptx"))  # deck.export.wanted


@dataclass
class Listed:
    """What the index shows of a deck (small, so that a deck built in another process can send it)."""

    name: str
    front_matter: dict
    course: dict

    @classmethod
    def of(cls, deck: Deck) -> Listed:
        return cls(deck.name, dict(deck.front_matter), dict(deck.course))

    @property
    def lang(self) -> str:
        return str(self.front_matter.get("lang") or "en")


@dataclass
class Entry:
    name: str
    title: str
    subtitle: str
    date: str
    links: list[tuple[str, str]]  # (label, relative URL)


def course_language(decks: list[Listed]) -> str:
    """The course's language: the course settings' `lang`, else the one every deck shares, else English."""
    course = next((d.course.get("lang") or d.course.get("language") for d in decks
                   if d.course.get("lang") or d.course.get("language")), None)
    langs = {d.lang for d in decks}
    return course or (langs.pop() if len(langs) == 1 else "en")


def index_html(decks: list[Listed]) -> str:
    """The index page of the course made of `decks` (in the order given)."""
    lang = course_language(decks)
    labels = LABELS.get(lang, LABELS["en"])
    entries = [Entry(d.name, str(d.front_matter.get("title") or d.name), str(d.front_matter.get("subtitle") or ""),
                     format_date(d.front_matter.get("date"), lang) if d.front_matter.get("date") else "",
                     [(labels[key], quote(f"{d.name}{suffix}", safe="")) for key, suffix in LINKS]) for d in decks]
    meta = decks[0].front_matter if decks else {}
    name = next((str(d.front_matter["course"]) for d in decks if d.front_matter.get("course")), labels["course"])
    theme = meta.get("theme", "default")
    return _env().get_template("index.html.j2").render(
        lang=lang, name=name, labels=labels, entries=entries, css=theme_css(theme), theme=theme,
        author=meta.get("author"), organisation=meta.get("organisation"))
