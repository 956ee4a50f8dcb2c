"""The whole build, top to bottom: find decks, parse, execute, render HTML, lay out the PDF, publish."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .document import Cell, Deck
from .errors import DeckError, LayoutProblem, UsageError
from .execute.runner import ExecutionHooks
from .options import DEFAULT_TIMEOUT
from .shared.files import cache_root, current_cache_root, publish
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


@dataclass
class DeckReport:
    name: str
    source: Path
    slides: int = 0
    pages: int = 0
    cells: int = 0
    seconds: float = 0.0
    outputs: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[DeckError] = field(default_factory=list)
    claims: int = 0                      # literal claims verified
    checked: list = field(default_factory=list)  # (location, written) of each literal claim
    cache_log: list[str] = field(default_factory=list)  # why each cell ran (with --verbose)
    rendered: list[int] = field(default_factory=list)   # slides whose PDF was rendered (not cached)
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


@contextlib.contextmanager
def _math_as_after_the_cells():
    """Math drawn while cells run is drawn with matplotlib's own math settings, not those a cell may
    have changed: the final pass draws it after the cells have given the process back, and both
    share the math cache."""
    import sys

    if "matplotlib" not in sys.modules:
        yield
        return
    import matplotlib

    with matplotlib.rc_context({k: v for k, v in matplotlib.rcParamsOrig.items() if k.startswith("mathtext.")}):
        yield


def build_deck(path: Path, options: BuildOptions) -> DeckReport:
    """Build one deck; raise DeckError on the first source error (collect all in check mode)."""
    from .claims.exercises import hide_answers
    from .execute import execute
    from .render.documents import print_css, render_one, slide_print_html

    start = time.perf_counter()
    report = DeckReport(path.stem, path)
    deck = parse_file(path, options.project_root)
    report.deck = deck
    options.emit("deck", name=deck.name, cells=len(deck.cells))
    cache = None
    if options.cache:
        from .execute.cache import Cache

        cache = Cache(cache_root(options.project_root))
    math_cache = cache.root if cache is not None else None
    timeout = deck.cell_defaults.get("timeout") or options.timeout  # also the limit of inline expressions
    hooks = [_CellProgress(options, len(deck.cells)), *options.hooks]
    pdfs = job_of = None
    early: dict[int, tuple] = {}  # slide -> (its results, its HTML) when rendered while cells ran
    if options.layout if options.check else options.pdf:  # slides are laid out: the PDF, or the page-fit check
        from .render.pdf import SlideCache, SlidePdfs

        pdfs = SlidePdfs(print_css(deck.front_matter.get("theme", "default")),
                         SlideCache(cache.root) if cache is not None else None)

        def job_of(rendered):
            return pdfs.job(rendered.index, slide_print_html(deck, rendered, options.handout), rendered.steps,
                            1 if options.handout else rendered.steps)

        def prefetched_job(slide):
            if options.student:
                hide_answers(dataclasses.replace(deck, slides=[slide]))
            with _math_as_after_the_cells():
                rendered = render_one(deck, slide, options.project_root, math_cache)
            early[slide.index] = (_results_of(slide), rendered)
            return job_of(rendered)

        hooks.append(_RenderWhileRunning(prefetched_job, pdfs, deck))
    try:
        return _finish_deck(deck, report, options, cache, timeout, hooks, pdfs, job_of, early, start)
    finally:
        if pdfs is not None:
            pdfs.close()


def _finish_deck(deck: Deck, report: DeckReport, options: BuildOptions, cache, timeout: float, hooks: list,
                 pdfs, job_of, early: dict, start: float) -> DeckReport:
    """Execute, render, lay out and publish (build_deck's body, inside the PDF helper's lifetime)."""
    from .claims.exercises import hide_answers
    from .execute import execute
    from .render.documents import html_document, render_one, source_date

    token = current_cache_root.set(cache_root(options.project_root))
    try:
        problems = execute(deck, timeout=timeout, collect_errors=options.check, cache=cache,
                           log=report.cache_log.append if options.verbose else None,
                           hooks=hooks, project_root=options.project_root)
    finally:
        current_cache_root.reset(token)
    if options.student:
        hide_answers(deck)
    report.checked, report.claims = problems.claims, len(problems.claims)
    report.problems = problems.items
    report.warnings = [f"{loc}: {message}" for c in deck.cells for loc, message in c.warnings]
    report.slides, report.cells = len(deck.slides), len(deck.cells)
    report.pages = deck.pages if not options.handout else len(deck.slides)
    report.seconds = time.perf_counter() - start
    if report.problems and (not options.check or any(p.kind != "claim" for p in report.problems)):
        return report  # a false number never reaches an output; a broken deck cannot be laid out
    options.emit("render")
    # a slide rendered while cells ran is reused if its results are still those it was rendered with
    # (a snapshot restore re-runs earlier cells, which may give a figure drawn anew)
    slides = [early[s.index][1] if s.index in early and early[s.index][0] == _results_of(s)
              else render_one(deck, s, options.project_root, cache.root if cache is not None else None)
              for s in deck.slides]
    rendered = []
    if pdfs is not None:
        jobs = [job_of(s) for s in slides]
        if not options.check:
            options.emit("pdf", pages=sum(j.pages for j in jobs))
        rendered = pdfs.results(jobs)
        report.rendered = list(pdfs.rendered)
    overflows = [o for r in rendered for o in r.overflows]
    if options.check:
        report.problems.extend(layout_problem(deck, o) for o in overflows)
        report.seconds = time.perf_counter() - start
        return report
    outputs: dict[Path, bytes] = {}
    name = options.output_dir / f"{deck.name}{options.suffix}"
    if options.html:
        outputs[name.with_suffix(".html")] = html_document(deck, slides).encode("utf-8")
    if pdfs is not None:
        from .render.assemble import SlidePages, assemble

        outputs[name.with_suffix(".pdf")] = assemble([SlidePages(r.data, str(r.slide)) for r in rendered],
                                                     source_date())
        report.pages = sum(r.pages for r in rendered)
        report.warnings.extend(str(layout_problem(deck, o)).splitlines()[0] for o in overflows)
    publish(outputs)  # the HTML and the PDF of one build, together or not at all
    report.outputs = list(outputs)
    report.seconds = time.perf_counter() - start
    options.emit("done", report=report)
    return report


def layout_problem(deck: Deck, overflow) -> LayoutProblem:
    from .render.page_fit import describe

    slide = deck.slides[overflow.slide - 1]
    return LayoutProblem(describe(overflow), slide.location)


def build(options: BuildOptions) -> list[DeckReport]:
    """Build every deck; several decks are built in parallel processes, one per core."""
    from .render.pdf import release_styles

    paths = find_decks(options)
    workers = min(len(paths), os.cpu_count() or 1)
    if workers < 2 or not hasattr(os, "fork"):
        try:
            return [build_deck(path, options) for path in paths]
        finally:
            release_styles()
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Workers are forked from this light process (torch is imported in each worker, once).
    local = dataclasses.replace(options, progress=None)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_build_for_pool, path, local) for path in paths]
        reports = []
        for path, future in zip(paths, futures):
            options.emit("deck", name=path.stem, cells=0)
            report = future.result()  # a DeckError raised in a worker is raised here, location intact
            options.emit("done", report=report)
            reports.append(report)
    return reports


def _build_for_pool(path: Path, options: BuildOptions) -> DeckReport:
    from .render.pdf import release_styles

    try:
        report = build_deck(path, options)
    finally:
        release_styles()  # a pool's worker ends with os._exit
    report.deck = None  # the parsed deck stays in the worker; counts and problems come back
    return report
