"""The whole build, top to bottom: find decks, parse, execute, render HTML, lay out the PDF, publish."""
from __future__ import annotations

import dataclasses
import functools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .claims.coverage import as_problem, unchecked_numbers
from .claims.exercises import student_slide, student_version
from .document import Cell, Deck, Slide
from .errors import DeckError, LayoutProblem, UsageError
from .export import write_exports
from .observe import BuildObserver
from .options import DEFAULT_TIMEOUT
from .settings import Settings, building
from .shared.files import complete_publications, display_path
from .shared.publish import begin_build, note_rejections, one_rejection_note, publish_newest
from .shared.store import rejections
from .source import parse_file

if TYPE_CHECKING:
    from .render.html import RenderedSlide
    from .render.index import Listed


@dataclass
class BuildOptions:
    project_root: Path = field(default_factory=Path.cwd)
    sources: Path | None = None          # folder of decks (default: <root>/slides_src)
    decks: list[str] = field(default_factory=list)  # names or paths; empty = every deck
    out_dir: Path | None = None          # default: <root>/build
    html: bool = True
    pdf: bool = True
    ipynb: bool = False                  # also the notebook (deck.export): `<deck>[-student].ipynb`
    pptx: bool = False                   # also the PowerPoint file (deck.export): `<deck>[-student].pptx`
    handout: bool = False
    check: bool = False                  # verify everything, write no PDF, collect all problems
    strict: bool = False                 # in check mode, a number on a slide that nothing checks is a problem
    layout: bool = True                  # in check mode, also lay pages out to find overflowing slides
    student: bool = False                # exercises show their blanks only (no answers)
    course: bool = False                 # the whole course: every output of each deck, and index.html
    timeout: float = DEFAULT_TIMEOUT     # default time limit of each cell, in seconds
    cache: bool = True                   # reuse cell results from .deck_cache/ when still valid
    verbose: bool = False                # report why each cell re-ran
    # who hears the build: its execution, progress and publication (deck.observe)
    hooks: list[BuildObserver] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings.from_environment)  # what the environment says

    def emit(self, event: str, **info) -> None:
        for hook in self.hooks:
            hook.on_progress(event, **info)

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

    def variants(self) -> tuple[Variant, ...]:
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
    listed: Listed | None = None       # what the index page shows of the deck
    warnings: list[str] = field(default_factory=list)
    problems: list[DeckError] = field(default_factory=list)
    claims: int = 0                      # literal claims verified
    checked: list = field(default_factory=list)  # (location, written) of each literal claim
    unchecked: list = field(default_factory=list)  # numbers typed on slides that no claim verifies (check mode)
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
            there = next((c for c in candidates if c.exists() and not c.is_dir()), None)
            if there is not None:  # a FIFO, a socket, a device: never read, never waited on
                raise UsageError(f"{display_path(there)}: not a regular file, so not a deck source")
            raise UsageError(f"no deck named {name!r} (looked in {folder})")
        paths.append(match)
    return paths


class _CellProgress(BuildObserver):
    """Execution hooks feeding the progress display: one tick per cell done."""

    def __init__(self, options: BuildOptions, total: int):
        self.options, self.total = options, total

    def on_end(self, item) -> None:
        if isinstance(item, Cell):
            self.options.emit("cell", index=item.index + 1, total=self.total)


@dataclass(frozen=True)
class Renderer:
    """Renders a version of the executed deck. Pure: the student version is made while rendering
    (claims.exercises.student_version), so the executed deck serves every version, in any order."""

    project_root: Path
    math_cache: Path | None

    def slide(self, deck: Deck, slide: Slide, variant: Variant) -> RenderedSlide:
        from .render.documents import render_one

        if variant.student:  # the slide's cells are found through the deck (by their index)
            slide = student_slide(slide)
            deck = dataclasses.replace(deck, slides=[slide if s.index == slide.index else s for s in deck.slides])
        return render_one(deck, slide, self.project_root, self.math_cache)

    def deck(self, deck: Deck, variant: Variant, errors: list | None = None) -> list[RenderedSlide]:
        from .render.documents import render_slides

        return render_slides(version_of(deck, variant), self.project_root, self.math_cache, errors=errors)


def version_of(deck: Deck, variant: Variant) -> Deck:
    """The deck as a version shows it: the student version has no answers and no notes."""
    return student_version(deck) if variant.student else deck


class _RenderWhileRunning(BuildObserver):
    """The pipelined build: a slide whose items have all run is rendered (the first version's) and
    handed to the PDF helper process (slide_pdfs.SlidePdfs) when the next cell starts, so that its layout
    overlaps the cells still to run. A slide that cannot be rendered yet is left to the final pass,
    which renders it (and reports its error in order)."""

    def __init__(self, deck: Deck, renderer: Renderer, variant: Variant, pdfs):
        self.deck, self.renderer, self.variant, self.pdfs = deck, renderer, variant, pdfs
        self.left = {s.index: len(s.items) for s in deck.slides}
        self.slide_of = {id(item): s for s in deck.slides for item in s.items}
        self.ready = [s for s in deck.slides if not s.items]
        self.early: dict[int, tuple] = {}  # slide -> (its results, its HTML)

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
                rendered = self.renderer.slide(self.deck, slide, self.variant)
            except Exception:  # rendered again by the final pass, which reports the error
                continue
            self.early[slide.index] = (_results_of(slide), rendered)
            jobs.append(_slide_job(self.pdfs, self.deck, rendered, self.variant.handout))
        self.pdfs.prefetch(jobs)

    def rendered(self, slide: Slide) -> RenderedSlide | None:
        """The slide's early HTML if its results are still those it was rendered with (a snapshot
        restore re-runs earlier cells, which may give a figure drawn anew)."""
        early = self.early.get(slide.index)
        return early[1] if early is not None and early[0] == _results_of(slide) else None


def _results_of(slide) -> tuple:
    """What execution wrote into a slide: everything its HTML is made from besides its source."""
    return (tuple((c.display, tuple(map(repr, c.replacements)), tuple((o.kind, o.content, o.alt) for o in c.outputs))
                  for c in slide.cells), tuple((e.text, e.claim) for e in slide.exprs), slide.steps)


def build_deck(path: Path, options: BuildOptions) -> DeckReport:
    """Build one deck: parse -> execute (claims verified as values arrive) -> for each version: render
    -> lay out -> collect -> publish. Raises DeckError on the first source error; check mode
    (`check_deck`) collects every problem instead and writes nothing."""
    with building(options.settings.for_project(options.project_root)):
        return _build_deck(path, options)


def _build_deck(path: Path, options: BuildOptions) -> DeckReport:
    start = time.perf_counter()
    rejections()  # a deck's report says what its own build refused: not what the process refused before
    if not options.check:
        complete_publications(options.output_dir)  # outputs a killed build left half renamed
    deck = parse_file(path, options.project_root)
    report = DeckReport(path.stem, path, deck=deck)
    options.emit("deck", name=deck.name, cells=len(deck.cells))
    if options.check:
        return check_deck(deck, report, options, start)
    variants = options.variants()
    with _Layout(deck, options, variants[0], wanted=any(v.pdf for v in variants)) as layout:
        execute_deck(deck, report, options, layout)
        if report.problems:
            report.seconds = time.perf_counter() - start
            return report  # a false number never reaches an output
        options.emit("render")
        outputs: dict[Path, bytes] = {}
        for variant in variants:
            if variant.html or variant.pdf:  # `--ipynb` / `--pptx` alone: the exports only
                outputs.update(write_version(deck, variant, layout, report, options))
        outputs.update(write_exports(deck, options, options.output_dir, report.warnings.append))
    if options.course:
        report.files = outputs  # published with every other deck's and the index, together
    else:
        publish_outputs(outputs, options)  # the HTML and the PDF of one build, together or not at all
    report.outputs = list(outputs)
    report.seconds = time.perf_counter() - start
    options.emit("done", report=report)
    return report


def check_deck(deck: Deck, report: DeckReport, options: BuildOptions, start: float) -> DeckReport:
    """Check mode: every problem of the deck (false claims, errors, slides that cannot be drawn,
    pages that overflow), and no output written."""
    variant = options.variants()[0]
    with _Layout(deck, options, variant, wanted=options.layout) as layout:
        execute_deck(deck, report, options, layout)
        report.unchecked = unchecked_numbers(deck, report.checked)
        if options.strict or deck.front_matter.get("check") == "strict":
            report.problems.extend(as_problem(u) for u in report.unchecked)
        report.seconds = time.perf_counter() - start
        slides = layout.renderer.deck(deck, variant, errors=report.problems)
        if any(p.kind not in ("claim", "unchecked") for p in report.problems):
            return report  # a broken deck cannot be laid out
        if layout.pdfs is not None:
            laid_out = layout.pdfs.results([_slide_job(layout.pdfs, deck, s, variant.handout) for s in slides])
            report.problems.extend(layout_problem(deck, o) for r in laid_out for o in r.overflows)
            report.rendered = list(layout.pdfs.rendered)
    report.seconds = time.perf_counter() - start
    return report


class _Layout:
    """What lays the slides out for one deck's build: the PDF helper process (slide_pdfs.SlidePdfs) when
    pages are wanted, fed while cells run, and the renderer of the deck's versions."""

    def __init__(self, deck: Deck, options: BuildOptions, first: Variant, wanted: bool):
        from .execute.cache import Cache

        # --no-cache reads nothing from the cache, but refreshes it with what this run computes
        self.cache = Cache(options.settings.cache_root(options.project_root), read=options.cache)
        self.renderer = Renderer(options.project_root, self.cache.root if options.cache else None)
        self.hooks: list[BuildObserver] = [_CellProgress(options, len(deck.cells)), *options.hooks]
        self.pdfs = None
        self.early: _RenderWhileRunning | None = None
        if wanted:
            from .render.assets import font_css
            from .render.slide_cache import SlideCache
            from .render.slide_pdfs import SlidePdfs

            self.pdfs = SlidePdfs(font_css(), SlideCache(self.cache.root) if options.cache else None)
            if first.pdf or options.check:
                self.early = _RenderWhileRunning(deck, self.renderer, first, self.pdfs)
                self.hooks.append(self.early)

    def __enter__(self) -> _Layout:
        return self

    def __exit__(self, *exc) -> None:
        if self.pdfs is not None:
            self.pdfs.close()

    def slides(self, deck: Deck, variant: Variant, first: bool) -> list[RenderedSlide]:
        """The version's slides as HTML; the first version reuses what was rendered while cells ran."""
        if not first or self.early is None:
            return self.renderer.deck(deck, variant)
        return [self.early.rendered(s) or self.renderer.slide(deck, s, variant) for s in deck.slides]


def execute_deck(deck: Deck, report: DeckReport, options: BuildOptions, layout: _Layout) -> None:
    """Run the deck's cells and inline expressions (from the cache where still valid), verifying
    claims as values arrive; what came out goes into the report."""
    from figures.weights import shows_fallback

    from .execute import execute
    from .render.index import Listed

    timeout = deck.cell_defaults.get("timeout") or options.timeout  # also the limit of inline expressions
    problems = execute(deck, timeout=timeout, collect_errors=options.check, cache=layout.cache,
                       log=report.cache_log.append if options.verbose else None,
                       hooks=layout.hooks, project_root=options.project_root)
    report.checked, report.claims = problems.claims, len(problems.claims)
    report.problems = problems.items
    report.warnings = [f"{loc}: {message}" for c in deck.cells for loc, message in c.warnings]
    report.fallbacks = sum(shows_fallback(o.alt) for c in deck.cells for o in c.outputs if o.kind == "svg")
    report.slides, report.cells = len(deck.slides), len(deck.cells)
    report.listed = Listed.of(deck)
    first = options.variants()[0]
    report.pages = version_of(deck, first).pages if not first.handout else len(deck.slides)


def write_version(deck: Deck, variant: Variant, layout: _Layout, report: DeckReport,
                  options: BuildOptions) -> dict[Path, bytes]:
    """One version's files: `<deck><suffix>.html` and/or `.pdf`, as bytes to publish."""
    from .render.assemble import SlidePages, assemble
    from .render.documents import html_document, source_date

    first = variant == options.variants()[0]
    slides = layout.slides(deck, variant, first)
    name = options.output_dir / f"{deck.name}{variant.suffix}"
    outputs: dict[Path, bytes] = {}
    if variant.html:
        outputs[name.with_suffix(".html")] = html_document(version_of(deck, variant), slides).encode("utf-8")
    if variant.pdf and layout.pdfs is not None:
        jobs = [_slide_job(layout.pdfs, deck, s, variant.handout) for s in slides]
        options.emit("pdf", pages=sum(j.pages for j in jobs))
        laid_out = layout.pdfs.results(jobs)
        outputs[name.with_suffix(".pdf")] = assemble([SlidePages(r.data, str(r.slide)) for r in laid_out],
                                                     source_date(options.settings.source_date_epoch))
        if variant == next(v for v in options.variants() if v.pdf):
            # the pages and the overflows a reader of the summary means: the first PDF's
            report.pages = sum(r.pages for r in laid_out)
            report.rendered = list(layout.pdfs.rendered)
            report.warnings.extend(str(layout_problem(deck, o)).splitlines()[0]
                                   for r in laid_out for o in r.overflows)
    return outputs


def _slide_job(pdfs, deck: Deck, rendered, handout: bool):
    from .render.documents import slide_print_html

    return pdfs.job(rendered.index, slide_print_html(deck, rendered, handout), 1 if handout else rendered.steps)


def publish_outputs(outputs: dict[Path, bytes], options: BuildOptions) -> None:
    """The HTML and the PDF of one build, together or not at all; the supervisor hears of it (so that
    it can finish the renames if this process is killed among them, and say what was written)."""
    def announce(stage: str, journal: Path) -> None:
        for hook in options.hooks:
            hook.on_publish(stage, journal)

    try:
        publish_newest(outputs, announce)
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
    paths = find_decks(options)
    begin_build(paths, options, INDEX)  # output names that collide are refused before anything is written
    reports = _build_all(paths, options)
    one_rejection_note(reports)  # cache entries refused (unsigned), said once for the whole build
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
    files[index] = index_html([r.listed for r in reports if r.listed is not None]).encode("utf-8")
    publish_outputs(files, options)
    reports[-1].outputs.append(index)  # the summary lists it after the last deck's files
    for r in reports:
        r.files = {}


def _build_all(paths: list[Path], options: BuildOptions) -> list[DeckReport]:
    from .render.pdf import release_styles

    workers = min(len(paths), os.cpu_count() or 1)
    if workers < 2 or not hasattr(os, "fork"):
        try:
            return [note_rejections(build_deck(path, options), options.verbose) for path in paths]
        finally:
            release_styles()
    from .processes.supervisor import run_in_processes

    # One watched process per deck, forked from this light process (torch is imported in each): a
    # deck whose cell crashes its process is named with that cell, and the other decks are built.
    local = dataclasses.replace(options, hooks=[])

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
        report = note_rejections(build_deck(path, dataclasses.replace(options, hooks=hooks)), options.verbose)
    finally:
        release_styles()  # the deck's process ends with os._exit
    report.deck = None  # the parsed deck stays in the worker; counts and problems come back
    return report
