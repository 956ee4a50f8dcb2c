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
    rendered: list[int] = field(default_factory=list)   # slides whose PDF was rendered (not cached)
    fallbacks: int = 0                   # figures showing untrained weights in place of pretrained ones
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


class _RenderWhileRunning(ExecutionHooks):
    """The pipelined build: a slide whose items have all run is handed to the PDF helper process
    (pdf.SlidePdfs) when the next cell starts, so that its rendering overlaps the cells still to run.
    By then its last item's result is recorded in the cell cache, so hiding answers (--student) on
    the slide changes nothing stored. A slide that cannot be rendered yet is left to the final pass,
    which renders it (and reports its error in order)."""

    def __init__(self, make_job: Callable, pdfs, deck: Deck):
        self.make_job, self.pdfs = make_job, pdfs
        self.left = {s.index: len(s.items) for s in deck.slides}
        self.slide_of = {id(item): s for s in deck.slides for item in s.items}
        self.ready = [s for s in deck.slides if not s.items]

    def on_end(self, item) -> None:
        slide = self.slide_of.get(id(item))
        if slide is not None:
            self.left[slide.index] -= 1
            if self.left[slide.index] == 0:
                self.ready.append(slide)

    def on_start(self, item, time_limit) -> None:
        if not self.ready:
            return
        ready, self.ready = self.ready, []
        jobs = []
        for slide in ready:
            try:
                jobs.append(self.make_job(slide))
            except Exception:  # rendered again by the final pass, which reports the error
                continue
        self.pdfs.prefetch(jobs)


def _results_of(slide) -> tuple:
    """What execution wrote into a slide: everything its HTML is made from besides its source."""
    return (tuple((c.display, tuple(map(repr, c.replacements)), tuple((o.kind, o.content, o.alt) for o in c.outputs))
                  for c in slide.cells), tuple((e.text, e.claim) for e in slide.exprs), slide.steps)


def build_deck(path: Path, options: BuildOptions) -> DeckReport:
    """Build one deck; raise DeckError on the first source error (collect all in check mode)."""
    from .claims.exercises import hide_answers
    from .execute.cache import Cache
    from .render.assets import font_css
    from .render.documents import render_one

    start = time.perf_counter()
    if not options.check:
        complete_publications(options.output_dir)  # outputs a killed build left half renamed
    report = DeckReport(path.stem, path)
    deck = parse_file(path, options.project_root)
    report.deck = deck
    options.emit("deck", name=deck.name, cells=len(deck.cells))
    # --no-cache reads nothing from the cache, but refreshes it with what this run computes
    cache = Cache(cache_root(options.project_root), read=options.cache)
    math_cache = cache.root if options.cache else None
    first = options.variants()[0]
    hooks = [_CellProgress(options, len(deck.cells)), *options.hooks]
    pdfs = None
    early: dict[int, tuple] = {}  # slide -> (its results, its HTML) when rendered while cells ran
    if options.layout if options.check else any(v.pdf for v in options.variants()):
        from .render.pdf import SlideCache, SlidePdfs

        # slides are laid out (the PDFs, or the page-fit check) one at a time, the first version's
        # while later cells still run
        pdfs = SlidePdfs(font_css(), SlideCache(cache.root) if options.cache else None)

        def prefetched_job(slide):
            if first.student:
                hide_answers(dataclasses.replace(deck, slides=[slide]))
            rendered = render_one(deck, slide, options.project_root, math_cache)
            early[slide.index] = (_results_of(slide), rendered)
            return _slide_job(pdfs, deck, rendered, first.handout)

        if first.pdf or options.check:
            hooks.append(_RenderWhileRunning(prefetched_job, pdfs, deck))
    try:
        return _finish_deck(deck, report, options, cache, math_cache, hooks, pdfs, early, start)
    finally:
        if pdfs is not None:
            pdfs.close()


def _slide_job(pdfs, deck: Deck, rendered, handout: bool):
    from .render.documents import slide_print_html

    return pdfs.job(rendered.index, slide_print_html(deck, rendered, handout), 1 if handout else rendered.steps)


def _finish_deck(deck: Deck, report: DeckReport, options: BuildOptions, cache, math_cache, hooks: list,
                 pdfs, early: dict, start: float) -> DeckReport:
    """Execute, render, lay out and publish (build_deck's body, inside the PDF helper's lifetime)."""
    from figures.weights import shows_fallback

    from .claims.exercises import hide_answers
    from .execute import execute
    from .render.documents import html_document, render_one, render_slides, source_date
    from .render.index import Listed

    timeout = deck.cell_defaults.get("timeout") or options.timeout  # also the limit of inline expressions
    token = current_cache_root.set(cache_root(options.project_root))
    base = display_base.set(Path.cwd())
    try:
        problems = execute(deck, timeout=timeout, collect_errors=options.check, cache=cache,
                           log=report.cache_log.append if options.verbose else None,
                           hooks=hooks, project_root=options.project_root)
    finally:
        current_cache_root.reset(token)
        display_base.reset(base)
    report.checked, report.claims = problems.claims, len(problems.claims)
    report.problems = problems.items
    report.warnings = [f"{loc}: {message}" for c in deck.cells for loc, message in c.warnings]
    report.fallbacks = sum(shows_fallback(o.alt) for c in deck.cells for o in c.outputs if o.kind == "svg")
    report.slides, report.cells = len(deck.slides), len(deck.cells)
    report.listed = Listed.of(deck)
    variants = options.variants()
    if variants[0].student:
        hide_answers(deck)
    report.pages = deck.pages if not variants[0].handout else len(deck.slides)
    report.seconds = time.perf_counter() - start
    if options.check:  # check mode lists every problem: slides that cannot be drawn too
        slides = render_slides(deck, options.project_root, math_cache, errors=report.problems)
    if report.problems and (not options.check or any(p.kind != "claim" for p in report.problems)):
        return report  # a false number never reaches an output; a broken deck cannot be laid out
    options.emit("render")
    if not options.check:
        # a slide rendered while cells ran is reused if its results are still those it was rendered
        # with (a snapshot restore re-runs earlier cells, which may give a figure drawn anew)
        slides = [early[s.index][1] if s.index in early and early[s.index][0] == _results_of(s)
                  else render_one(deck, s, options.project_root, math_cache) for s in deck.slides]
    if options.check:
        if pdfs is not None:
            laid_out = pdfs.results([_slide_job(pdfs, deck, s, variants[0].handout) for s in slides])
            report.problems.extend(layout_problem(deck, o) for r in laid_out for o in r.overflows)
            report.rendered = list(pdfs.rendered)
        report.seconds = time.perf_counter() - start
        return report
    from .render.assemble import SlidePages, assemble

    outputs: dict[Path, bytes] = {}
    first_pdf = True
    for variant in variants:
        if variant.student and variant is not variants[0]:
            hide_answers(deck)
            slides = render_slides(deck, options.project_root, math_cache)
        name = options.output_dir / f"{deck.name}{variant.suffix}"
        if variant.html:
            outputs[name.with_suffix(".html")] = html_document(deck, slides).encode("utf-8")
        if variant.pdf:
            jobs = [_slide_job(pdfs, deck, s, variant.handout) for s in slides]
            options.emit("pdf", pages=sum(j.pages for j in jobs))
            laid_out = pdfs.results(jobs)
            outputs[name.with_suffix(".pdf")] = assemble([SlidePages(r.data, str(r.slide)) for r in laid_out],
                                                         source_date())
            if first_pdf:  # the pages and the overflows a reader of the summary means: the first PDF's
                report.pages, first_pdf = sum(r.pages for r in laid_out), False
                report.rendered = list(pdfs.rendered)
                report.warnings.extend(str(layout_problem(deck, o)).splitlines()[0]
                                       for r in laid_out for o in r.overflows)
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
    from .render.pdf import release_styles

    workers = min(len(paths), os.cpu_count() or 1)
    if workers < 2 or not hasattr(os, "fork"):
        try:
            return [build_deck(path, options) for path in paths]
        finally:
            release_styles()
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
    from .render.pdf import release_styles

    try:
        report = build_deck(path, dataclasses.replace(options, hooks=hooks))
    finally:
        release_styles()  # the deck's process ends with os._exit
    report.deck = None  # the parsed deck stays in the worker; counts and problems come back
    return report
