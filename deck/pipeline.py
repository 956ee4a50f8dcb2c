"""The whole build, top to bottom: find decks, parse, execute, render HTML, write PDF."""
from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import DeckError
from .execute import Problems, execute
from .model import Deck
from .parse import parse_file


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
    timeout: float = 60.0                # default time limit of each cell, in seconds
    cache: bool = True                   # reuse cell results from .deck_cache/ when still valid
    verbose: bool = False                # report why each cell re-ran
    # Called as progress(event, **info) at each stage, for a progress display:
    # deck(name, cells), cell(index, total), render(), pdf(pages), done(report).
    progress: Callable[..., None] | None = None

    def emit(self, event: str, **info) -> None:
        if self.progress is not None:
            self.progress(event, **info)

    @property
    def source_dir(self) -> Path:
        return self.sources or self.project_root / "slides_src"

    @property
    def output_dir(self) -> Path:
        return self.out_dir or self.project_root / "build"


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
    deck: Deck | None = None


def find_decks(options: BuildOptions) -> list[Path]:
    """The deck sources to build: the named ones, or every *.md directly in the sources folder."""
    folder = options.source_dir
    if not options.decks:
        found = sorted(p for p in folder.glob("*.md") if not p.name.startswith(("_", ".")))
        if not found:
            raise DeckError(f"no decks found in {folder} (expected *.md files)")
        return found
    paths = []
    for name in options.decks:
        candidates = [Path(name), folder / name, folder / f"{name}.md"]
        match = next((c for c in candidates if c.is_file()), None)
        if match is None:
            raise DeckError(f"no deck named {name!r} (looked in {folder})")
        paths.append(match)
    return paths


def build_deck(path: Path, options: BuildOptions) -> DeckReport:
    """Build one deck; raise DeckError on the first source error (collect all in check mode)."""
    from .render_html import html_document, print_document, render_slides

    start = time.perf_counter()
    report = DeckReport(path.stem, path)
    deck = parse_file(path, options.project_root)
    report.deck = deck
    options.emit("deck", name=deck.name, cells=len(deck.cells))
    cache = None
    if options.cache:
        from .cache import Cache, cache_root

        cache = Cache(cache_root(options.project_root))
    log = report.cache_log.append if options.verbose else None
    timeout = (deck.meta.get("execute") or {}).get("timeout") or options.timeout
    problems = execute(deck, Problems(collect_errors=options.check, timeout=timeout), cache=cache, log=log,
                       on_cell=lambda i, n: options.emit("cell", index=i, total=n))
    report.checked = problems.claims
    if options.student:
        hide_answers(deck)
    report.problems = problems.items
    report.claims = len(problems.claims)
    report.warnings = [f"{loc}: {message}" for c in deck.cells for loc, message in c.warnings]
    report.slides, report.cells = len(deck.slides), len(deck.cells)
    report.pages = sum(s.steps for s in deck.slides) if not options.handout else len(deck.slides)
    report.seconds = time.perf_counter() - start
    if report.problems and (not options.check or any(not _is_claim(p) for p in report.problems)):
        return report  # a false number never reaches an output; a broken deck cannot be laid out
    options.emit("render")
    slides = render_slides(deck, options.project_root, cache.root if cache is not None else None)
    steps = {s["index"]: (1 if options.handout else s["steps"]) for s in slides}
    suffix = ("-handout" if options.handout else "") + ("-student" if options.student else "")
    out = options.output_dir
    if options.check:
        if options.layout:
            from .render_pdf import check_layout

            result = check_layout(print_document(deck, slides, options.handout), steps)
            report.problems.extend(overflow_problem(deck, o) for o in result.overflows)
        report.seconds = time.perf_counter() - start
        return report
    if options.html:
        target = out / f"{deck.name}{suffix}.html"
        write_atomic(target, html_document(deck, slides).encode("utf-8"))
        report.outputs.append(target)
    if options.pdf:
        from .render_pdf import write_pdf

        options.emit("pdf", pages=sum(steps.values()))
        target = out / f"{deck.name}{suffix}.pdf"
        result = write_pdf(print_document(deck, slides, options.handout), target, steps)
        report.pages = result.pages
        report.outputs.append(target)
        report.warnings.extend(str(overflow_problem(deck, o)).splitlines()[0] for o in result.overflows)
    report.seconds = time.perf_counter() - start
    options.emit("done", report=report)
    return report


def overflow_problem(deck: Deck, overflow) -> DeckError:
    from .errors import OverflowProblem
    from .layout_check import describe

    slide = deck.slides[overflow.slide - 1]
    return OverflowProblem(describe(overflow), slide.location)


def hide_answers(deck: Deck) -> None:
    """Student version: every exercise keeps its blank, and the answer steps disappear."""
    from .claims import is_blank

    for slide in deck.slides:
        for expr in slide.exprs:  # prose `{py} expr => ?`
            if expr.claim is not None and is_blank(expr.claim):
                expr.text = expr.claim
        for cell in slide.cells:
            lines = cell.display.split("\n")
            for r in sorted((r for r in cell.replacements if r.blank is not None), key=lambda r: -r.start):
                lines[r.line] = lines[r.line][:r.start] + r.blank + lines[r.line][r.end:]
                r.text, r.end, r.blank, r.answer_step = r.blank, r.start + len(r.blank), None, None
            cell.display = "\n".join(lines)
        slide.steps = max([slide.base_steps] + [c.options.callouts_step or 0 for c in slide.cells])


def _is_claim(error: DeckError) -> bool:
    from .errors import ClaimError

    return isinstance(error, ClaimError)


def write_atomic(target: Path, data: bytes) -> None:
    """Write through a temporary file and rename, so readers never see a half-written file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def build(options: BuildOptions) -> list[DeckReport]:
    """Build every deck; several decks are built in parallel processes, one per core."""
    paths = find_decks(options)
    workers = min(len(paths), os.cpu_count() or 1)
    if workers < 2 or not hasattr(os, "fork"):
        return [build_deck(path, options) for path in paths]
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
    report = build_deck(path, options)
    report.deck = None  # the parsed deck stays in the worker; counts and problems come back
    return report
