"""The whole build, top to bottom: find decks, parse, execute, render HTML, lay out the PDF, publish."""
from __future__ import annotations

import dataclasses
import functools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .document import Cell, Deck
from .errors import DeckError, LayoutProblem, UsageError
from .execute.runner import ExecutionHooks
from .options import DEFAULT_TIMEOUT
from .shared.files import cache_root, complete_publications, current_cache_root, display_base, display_path, publish
from .source import parse_file


@dataclass
class BuildOptions:
    project_root: Path = field(default_factory=Path.cwd)
    sources: Path | None = None          # folder of decks (default: <root>/slides_src)
    decks: list[str] = field(default_factory=list)  # names or paths; empty = every deck
    out_dir: Path | None = None          # default: <root>/build
    html: bool = True
    pdf: bool = True
    handout: bool = False
    check: bool = False                  # verify everything, write no PDF, collect all problems
    layout: bool = True                  # in check mode, also lay pages out to find overflowing slides
    student: bool = False                # exercises show their blanks only (no answers)
    course: bool = False                 # the whole course: every output of each deck, and index.html
    timeout: float = DEFAULT_TIMEOUT     # default time limit of each cell, in seconds
    cache: bool = True                   # reuse cell results from .deck_cache/ when still valid
    verbose: bool = False                # report why each cell re-ran
    # Called as progress(event, **info) at each stage, for a progress display:
    # deck(name, cells), cell(index, total), render(), pdf(pages), done(report).
    progress: Callable[..., None] | None = None
    hooks: list[ExecutionHooks] = field(default_factory=list)  # observers of execution (supervisor)

    def emit(self, event: str, **info) -> None:
        if self.progress is not None:
            self.progress(event, **info)

    @property
    def source_dir(self) -> Path:
        return self.sources or self.project_root / "slides_src"

    @property
    def output_dir(self) -> Path:
        return self.out_dir or self.project_root / "build"

    @property
    def suffix(self) -> str:
        """What the output names add to the deck's name: `-handout`, `-student`, both, or nothing."""
        return ("-handout" if self.handout else "") + ("-student" if self.student else "")

    def variants(self) -> tuple["Variant", ...]:
        """The versions of each deck this build writes: the course's four files, or the one asked for."""
        if self.course:
            return COURSE_VARIANTS
        return (Variant(self.suffix, self.student, self.handout, self.html, self.pdf),)


@dataclass(frozen=True)
class Variant:
    """One version of a deck and the files written for it: `<deck><suffix>.html` and/or `.pdf`."""

    suffix: str
    student: bool = False   # blanks without answers, no answer blocks, no notes
    handout: bool = False   # one PDF page per slide, in its final state
    html: bool = True
    pdf: bool = True


# A whole-course build (`python build.py`): the teacher's HTML deck and PDF, the handout (answers
# included: it is handed out after the lecture) and the student PDF; teacher versions come first,
# since hiding the answers changes the deck. The index page links to exactly these.
COURSE_VARIANTS = (Variant(""), Variant("-handout", handout=True, html=False),
                   Variant("-student", student=True, html=False))
INDEX = "index.html"


@dataclass
class DeckReport:
    name: str
    source: Path
    slides: int = 0
    pages: int = 0
    cells: int = 0
    seconds: float = 0.0
    outputs: list[Path] = field(default_factory=list)
    files: dict[Path, bytes] = field(default_factory=dict)  # course builds: published with the index
    listed: object = None                # what the index page shows of the deck (render.index.Listed)
    warnings: list[str] = field(default_factory=list)
    problems: list[DeckError] = field(default_factory=list)
    claims: int = 0                      # literal claims verified
    checked: list = field(default_factory=list)  # (location, written) of each literal claim
    cache_log: list[str] = field(default_factory=list)  # why each cell ran (with --verbose)
    deck: Deck | None = None


def find_decks(options: BuildOptions) -> list[Path]:
    """The deck sources to build: the named ones, or every *.md directly in the sources folder."""
    folder = options.source_dir
    if not options.decks:
        found = sorted(p for p in folder.glob("*.md") if not p.name.startswith(("_", ".")))
        if not found:
            raise UsageError(f"no decks found in {folder} (expected *.md files)")
        return found
    paths = []
    for name in options.decks:
        candidates = [Path(name), folder / name, folder / f"{name}.md"]
        match = next((c for c in candidates if c.is_file()), None)
        if match is None:
            raise UsageError(f"no deck named {name!r} (looked in {folder})")
        paths.append(match)
    return paths


class _CellProgress(ExecutionHooks):
    """Execution hooks feeding the progress display: one tick per cell done."""

    def __init__(self, options: BuildOptions, total: int):
        self.options, self.total = options, total

    def on_end(self, item) -> None:
        if isinstance(item, Cell):
            self.options.emit("cell", index=item.index + 1, total=self.total)


def build_deck(path: Path, options: BuildOptions) -> DeckReport:
    """Build one deck; raise DeckError on the first source error (collect all in check mode)."""
    from .claims.exercises import hide_answers
    from .execute import execute
    from .render.documents import html_document, print_document, render_slides
    from .render.index import Listed

    start = time.perf_counter()
    if not options.check:
        complete_publications(options.output_dir)  # outputs a killed build left half renamed
    report = DeckReport(path.stem, path)
    deck = parse_file(path, options.project_root)
    report.deck = deck
    options.emit("deck", name=deck.name, cells=len(deck.cells))
    from .execute.cache import Cache

    # --no-cache reads nothing from the cache, but refreshes it with what this run computes
    cache = Cache(cache_root(options.project_root), read=options.cache)
    timeout = deck.cell_defaults.get("timeout") or options.timeout  # also the limit of inline expressions
    token = current_cache_root.set(cache_root(options.project_root))
    base = display_base.set(Path.cwd())
    try:
        problems = execute(deck, timeout=timeout, collect_errors=options.check, cache=cache,
                           log=report.cache_log.append if options.verbose else None,
                           hooks=[_CellProgress(options, len(deck.cells)), *options.hooks],
                           project_root=options.project_root)
    finally:
        current_cache_root.reset(token)
        display_base.reset(base)
    report.checked, report.claims = problems.claims, len(problems.claims)
    report.problems = problems.items
    report.warnings = [f"{loc}: {message}" for c in deck.cells for loc, message in c.warnings]
    report.slides, report.cells = len(deck.slides), len(deck.cells)
    report.listed = Listed.of(deck)
    variants = options.variants()
    if variants[0].student:
        hide_answers(deck)
    report.pages = deck.pages if not variants[0].handout else len(deck.slides)
    report.seconds = time.perf_counter() - start
    math_cache = cache.root if options.cache else None
    if options.check:  # check mode lists every problem: slides that cannot be drawn too
        slides = render_slides(deck, options.project_root, math_cache, errors=report.problems)
    if report.problems and (not options.check or any(p.kind != "claim" for p in report.problems)):
        return report  # a false number never reaches an output; a broken deck cannot be laid out
    options.emit("render")
    if not options.check:
        slides = render_slides(deck, options.project_root, math_cache)
    if options.check:
        if options.layout:
            from .render.pdf import check_layout

            steps = {s.index: (1 if variants[0].handout else s.steps) for s in slides}
            result = check_layout(print_document(deck, slides, variants[0].handout), steps)
            report.problems.extend(layout_problem(deck, o) for o in result.overflows)
        report.seconds = time.perf_counter() - start
        return report
    outputs: dict[Path, bytes] = {}
    first_pdf = True
    for variant in variants:
        if variant.student and variant is not variants[0]:
            hide_answers(deck)
            slides = render_slides(deck, options.project_root, math_cache)
        steps = {s.index: (1 if variant.handout else s.steps) for s in slides}
        name = options.output_dir / f"{deck.name}{variant.suffix}"
        if variant.html:
            outputs[name.with_suffix(".html")] = html_document(deck, slides).encode("utf-8")
        if variant.pdf:
            from .render.pdf import render_pdf

            options.emit("pdf", pages=sum(steps.values()))
            outputs[name.with_suffix(".pdf")], result = render_pdf(print_document(deck, slides, variant.handout), steps)
            if first_pdf:  # the pages and the overflows a reader of the summary means: the first PDF's
                report.pages, first_pdf = result.pages, False
                report.warnings.extend(str(layout_problem(deck, o)).splitlines()[0] for o in result.overflows)
    if options.course:
        report.files = outputs  # published with every other deck's and the index, together
    else:
        publish_outputs(outputs, options)  # the HTML and the PDF of one build, together or not at all
    report.outputs = list(outputs)
    report.seconds = time.perf_counter() - start
    options.emit("done", report=report)
    return report


def publish_outputs(outputs: dict[Path, bytes], options: BuildOptions) -> None:
    """The HTML and the PDF of one build, together or not at all; the supervisor hears of it (so that
    it can finish the renames if this process is killed among them, and say what was written)."""
    def announce(stage: str, journal: Path) -> None:
        for hook in options.hooks:
            getattr(hook, "on_publish", lambda *a: None)(stage, journal)

    try:
        publish(outputs, announce)
    except OSError as exc:
        target = display_path(exc.filename or options.output_dir)
        raise DeckError(f"cannot write {target}: {exc.strerror or exc}; previous outputs are unchanged") from None


def layout_problem(deck: Deck, overflow) -> LayoutProblem:
    """A page that does not fit, at the line of the cell that runs past its box, or at the slide's title."""
    from .render.page_fit import describe

    slide = deck.slides[overflow.slide - 1]
    if overflow.cell is None:
        return LayoutProblem(describe(overflow), slide.location)
    cell = deck.cells[overflow.cell]
    shown = (cell.display or cell.code).split("\n")
    line = overflow.line if overflow.line is not None and len(shown) == len(cell.lines) else 0
    where = cell.lines[min(line, len(cell.lines) - 1)].on_slide(slide.index)
    return LayoutProblem(describe(overflow, cell.options.code_size), where)


def build(options: BuildOptions) -> list[DeckReport]:
    """Build every deck; several decks are built in parallel processes, one per core."""
    reports = _build_all(find_decks(options), options)
    if options.course:
        publish_course(reports, options)
    return reports


def publish_course(reports: list[DeckReport], options: BuildOptions) -> None:
    """Every deck's files and the index page, in one publication: all of them, or none if a deck failed."""
    from .render.index import index_html

    if any(r.problems for r in reports):
        for r in reports:
            r.outputs, r.files = [], {}
        return
    files = {path: data for r in reports for path, data in r.files.items()}
    index = options.output_dir / INDEX
    files[index] = index_html([r.listed for r in reports]).encode("utf-8")
    publish_outputs(files, options)
    reports[-1].outputs.append(index)  # the summary lists it after the last deck's files
    for r in reports:
        r.files = {}


def _build_all(paths: list[Path], options: BuildOptions) -> list[DeckReport]:
    workers = min(len(paths), os.cpu_count() or 1)
    if workers < 2 or not hasattr(os, "fork"):
        return [build_deck(path, options) for path in paths]
    from .execute.supervise import run_in_processes

    # One watched process per deck, forked from this light process (torch is imported in each): a
    # deck whose cell crashes its process is named with that cell, and the other decks are built.
    local = dataclasses.replace(options, progress=None, hooks=[])

    def ended(index: int, outcome: tuple) -> None:
        if outcome[0] == "ok":
            options.emit("done", report=outcome[1])

    outcomes = run_in_processes([functools.partial(_build_for_pool, path, local) for path in paths], workers,
                                forward=options.hooks, labels=[path.stem for path in paths],
                                on_start=lambda i: options.emit("deck", name=paths[i].stem, cells=0), on_end=ended)
    errors = [value for kind, value in outcomes if kind == "error"]
    if errors:
        raise errors[0]  # a DeckError from a deck keeps its location
    return [value for _, value in outcomes]


def _build_for_pool(path: Path, options: BuildOptions, hooks: list) -> DeckReport:
    report = build_deck(path, dataclasses.replace(options, hooks=hooks))
    report.deck = None  # the parsed deck stays in the worker; counts and problems come back
    return report
