"""Command line: `python build.py [DECK ...] [options]`. Thin: parse arguments, call the pipeline."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import time
from pathlib import Path

from ..errors import EXIT_ERROR, DeckError, exit_status
from ..execute.process_guard import ProcessUnusable
from ..options import DEFAULT_TIMEOUT
from ..settings import Settings
from ..shared.files import display_path


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python build.py", description="Build lecture decks to HTML and PDF.",
                                epilog="python build.py new NAME writes slides_src/NAME.md, a small deck showing "
                                       "every element of the format.")
    p.add_argument("decks", nargs="*", help="deck names or paths (default: every deck in slides_src/)")
    p.add_argument("-o", "--out", type=Path, help="output folder (default: build/)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--html-only", action="store_true", help="write the HTML deck only")
    fmt.add_argument("--pdf-only", action="store_true", help="write the PDF only")
    p.add_argument("--ipynb", action="store_true",
                   help="write the Jupyter notebook <deck>.ipynb (with --student: <deck>-student.ipynb)")
    p.add_argument("--pptx", action="store_true",
                   help="write the PowerPoint file <deck>.pptx (editable text, notes, figures as images)")
    p.add_argument("--handout", action="store_true", help="PDF with one page per slide (final state of each)")
    p.add_argument("--student", action="store_true", help="exercises without their answers")
    p.add_argument("--check", action="store_true", help="verify every number, claim and page fit; write nothing")
    p.add_argument("--fix", action="store_true", help="with --check: rewrite false literals to the true values")
    p.add_argument("--no-layout", action="store_true", help="with --check: skip the page-fit check (no WeasyPrint)")
    p.add_argument("--strict", action="store_true",
                   help="with --check: a number typed on a slide that no claim verifies is a problem")
    p.add_argument("--format", choices=("text", "json", "github"), default="text",
                   help="how --check reports problems (github: ::error annotations)")
    p.add_argument("--no-cache", action="store_true", help="run every cell again, ignoring .deck_cache/")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="say why each cell re-ran; with --check, list every claim checked")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"time limit of each cell (default {DEFAULT_TIMEOUT:g}; `#| timeout:` and front matter override)")
    weights = p.add_mutually_exclusive_group()
    weights.add_argument("--offline", action="store_true",
                         help="never download (pretrained weights figures need); also DECK_OFFLINE=1")
    weights.add_argument("--refresh-weights", action="store_true",
                         help="try downloading missing pretrained weights now (otherwise at most once an hour)")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default: current folder)")
    live = p.add_argument_group("live preview")
    live.add_argument("--watch", action="store_true",
                      help="build, serve build/ on 127.0.0.1, rebuild on every change and reload the open page "
                           "on the same slide and step; builds the HTML only unless --pdf is given")
    live.add_argument("--port", type=int, default=None,
                      help="with --watch: the port to serve on (default 8000; 0 picks a free port)")
    live.add_argument("--pdf", action="store_true", help="with --watch: rebuild the PDF too (slower rebuilds)")
    return p


OPTIONS_WITH_VALUES = {"-o", "--out", "--format", "--timeout", "--root", "--port"}


def _subcommand(argv: list[str], name: str) -> int | None:
    """Where `name` is written as the first positional argument, if it is."""
    i = 0
    while i < len(argv):
        if argv[i] in OPTIONS_WITH_VALUES:
            i += 2
            continue
        if not argv[i].startswith("-"):
            return i if argv[i] == name else None
        i += 1
    return None


def watch_usage_error(args) -> str | None:
    if not args.watch:
        return "--port and --pdf go with --watch" if args.port is not None or args.pdf else None
    if args.check or args.fix:
        return "--watch builds and serves decks; it does not combine with --check or --fix"
    if args.pdf_only:
        return "--watch serves the HTML deck; use --pdf to rebuild the PDF as well"
    if args.port is not None and not 0 <= args.port <= 65535:
        return f"--port {args.port}: a port is a number from 0 to 65535"
    return None


def whole_course(args) -> bool:
    """A plain `python build.py` builds the course: every deck's HTML, PDF, student PDF and handout,
    and the index page. Naming decks or asking for one kind of output builds just that."""
    return not (args.decks or args.html_only or args.pdf_only or args.handout or args.student
                or args.ipynb or args.pptx or args.check or args.fix or args.watch)


LAST_EPOCH = 253402300799  # 9999-12-31T23:59:59Z: the last second a PDF date can write


def source_date_problem(epoch: str) -> str | None:
    """What is wrong with a SOURCE_DATE_EPOCH value (the PDF's date in reproducible builds), if anything."""
    if not epoch or (epoch.isdigit() and epoch.isascii() and int(epoch) <= LAST_EPOCH):
        return None
    return (f"SOURCE_DATE_EPOCH={epoch!r}: expected a whole number of seconds since 1970-01-01, "
            f"at most {LAST_EPOCH} (the year 9999)")


def main(argv: list[str] | None = None, hooks=()) -> int:
    """The command line; `hooks` observe execution (the supervisor's breadcrumbs)."""
    argv = sys.argv[1:] if argv is None else argv
    at = _subcommand(argv, "new")
    if at is not None:  # `new NAME`, wherever options such as --root are written
        from .new_deck import main as new_deck

        return new_deck(argv[:at] + argv[at + 1:])
    parser = make_parser()
    args = parser.parse_args(argv)
    problem = watch_usage_error(args)
    if problem:
        parser.error(problem)  # exits with status 2
    if args.strict and not (args.check or args.fix):
        parser.error("--strict goes with --check: it makes unchecked numbers problems")
    if args.fix and not args.check:
        args.check = True
    from ..pipeline import BuildOptions, build

    # `--ipynb` / `--pptx` write those files only; with --html-only or --pdf-only, that one too
    exports_only = (args.ipynb or args.pptx) and not (args.html_only or args.pdf_only)

    options = BuildOptions(project_root=args.root.resolve(), decks=args.decks, out_dir=args.out,
                           html=not args.pdf_only and not exports_only, pdf=not args.html_only and not exports_only,
                           ipynb=args.ipynb, pptx=args.pptx, handout=args.handout,
                           check=args.check, strict=args.strict, layout=not args.no_layout, student=args.student,
                           cache=not args.no_cache, verbose=args.verbose, timeout=args.timeout,
                           hooks=list(hooks), course=whole_course(args),
                           settings=_settings(args))
    if not 0 < args.timeout < float("inf"):  # also refuses nan
        parser.error(f"--timeout {args.timeout:g}: a time limit is a positive, finite number of seconds")
    problem = source_date_problem(options.settings.source_date_epoch)
    if problem:
        parser.error(problem)
    if args.watch:
        from ..watch import run_watch

        options.html, options.pdf = True, args.pdf
        return run_watch(options, port=8000 if args.port is None else args.port)
    from .progress import for_terminal

    display = for_terminal()  # bars on a terminal; nothing at all in a pipe, a log or under NO_COLOR
    if display is not None:
        options.hooks.append(display)
    start = time.perf_counter()
    try:
        with display or contextlib.nullcontext(), stdout_kept_for_json(args.format == "json"):
            reports = build(options)
    except (DeckError, ProcessUnusable) as exc:
        print(f"error: {getattr(exc, 'error', exc)}", file=sys.stderr)
        return EXIT_ERROR
    if args.fix:
        return fix_and_report(reports, options.project_root, args.format)
    report_problems(reports, args.format, list_claims=args.verbose and options.check)
    print(summary(reports, time.perf_counter() - start, options.check),
          file=sys.stderr if args.format == "json" else sys.stdout)
    return exit_status([p for r in reports for p in r.problems])


@contextlib.contextmanager
def stdout_kept_for_json(json_report: bool):
    """With `--format json`, standard output is the JSON report only: while decks build, file
    descriptor 1 is standard error, so that what cells write to it (and the processes they start,
    which inherit it) goes there; the JSON is printed once it is given back."""
    if not json_report:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def fix_and_report(reports, project_root: Path, fmt: str = "text") -> int:
    """`--fix`: the false values rewritten in the sources (the diff shown), what could not be fixed
    said; the exit status of what is left. With `--format json`, the diff and the count go to
    standard error and standard output holds the JSON report of what is left."""
    from ..claims.fix import fix_sources

    diff, fixed, unfixable = fix_sources(reports, project_root)
    said = sys.stderr if fmt == "json" else sys.stdout
    said.write(diff)
    print(f"fixed {fixed} false value{'s' * (fixed != 1)}" +
          (f"; {len(unfixable)} could not be fixed automatically" if unfixable else ""), file=said)
    others = [p for r in reports for p in r.problems if p.kind != "claim"]  # --fix mends numbers only
    for p in [*unfixable, *others]:
        print(f"error: {p}", file=sys.stderr)
    if fmt == "json":
        from ..claims.report import as_json

        print(as_json(_left(reports, [*unfixable, *others])))
    return exit_status([*unfixable, *others])


def _left(reports, left: list) -> list:
    """The reports with only the problems `--fix` left (a refusal stands for the claim it refuses)."""
    def key(p):
        return (str(p.location), getattr(p, "written", None), p.kind)

    owner = {key(p): i for i, r in enumerate(reports) for p in r.problems}
    return [dataclasses.replace(r, problems=[p for p in left if owner.get(key(p)) == i])
            for i, r in enumerate(reports)]


def _settings(args) -> Settings:
    """The environment, read once, with what the command line overrides."""
    settings = Settings.from_environment()
    if args.offline:
        settings = dataclasses.replace(settings, offline=True)
    if args.refresh_weights:
        settings = dataclasses.replace(settings, refresh_weights=True)
    return settings


def report_problems(reports, fmt: str, list_claims: bool = False) -> None:
    for r in reports:
        for line in r.cache_log:
            print(f"cache: {line}", file=sys.stderr)
        for w in r.warnings:
            print(f"warning: {w}", file=sys.stderr)
    if list_claims and fmt != "json":  # --check -v: every value deck checked, so none is checked by surprise
        for r in reports:
            for claim in r.checked:
                kind = getattr(claim, "kind", "")
                print(f"claim: {claim[0]}: {claim[1]}" + (f" ({kind})" if kind else ""))
            for item in r.unchecked:  # and every number it did not
                print(f"unchecked: {item}")
    for r in reports:  # a comment that looks like a formula but is not read: never silent
        for item in r.unchecked:
            if item.why and not any(p.kind == "unchecked" for p in r.problems):
                print(f"warning: {item}", file=sys.stderr)
    if fmt == "json":
        from ..claims.report import as_json

        print(as_json(reports))
        return
    for r in reports:
        for p in r.problems:
            print(f"error: {p}", file=sys.stderr)
    if fmt == "github" or os.environ.get("GITHUB_ACTIONS") == "true":
        from ..claims.report import github_annotations

        text = github_annotations(reports)
        if text:
            print(text)


def summary(reports, seconds: float, check: bool) -> str:
    """The last line(s): what was checked, or built (only decks that built are said to be)."""
    if check:
        problems = sum(len(r.problems) for r in reports)
        claims = sum(r.claims for r in reports)
        unchecked = sum(len(r.unchecked) for r in reports)
        return (f"checked {_counts(reports)} in {seconds:.1f} s; {claims} claim{'s' * (claims != 1)} checked, "
                f"{unchecked} number{'s' * (unchecked != 1)} on slides not checked"
                + (f"; {problems} problem{'s' * (problems != 1)}" if problems else "; every claim holds"))
    built = [r for r in reports if not r.problems and r.outputs]
    held = [r for r in reports if not r.problems and not r.outputs]  # a course is written whole or not at all
    failed = [r for r in reports if r.problems]
    lines = []
    if built:
        lines.append(f"built {_counts(built)} in {seconds:.1f} s")
        lines += [f"  -> {display_path(o)}" for r in built for o in r.outputs]
        fallbacks = sum(r.fallbacks for r in built)
        if fallbacks:
            lines.append(f"{fallbacks} figure{'s' * (fallbacks != 1)} show{'s' * (fallbacks == 1)} untrained weights: "
                         "the pretrained ones are not downloaded (--offline, or no network: tried at most once "
                         "an hour, or now with --refresh-weights)")
    if held:
        lines.append(f"not written: {', '.join(r.name for r in held)} (no problem, but the course is published "
                     f"whole and another deck failed); previous outputs are unchanged")
    if failed:
        problems = sum(len(r.problems) for r in failed)
        names = ", ".join(r.name for r in failed)
        lines.append(f"not built: {names} ({problems} problem{'s' * (problems != 1)}); "
                     f"{'its' if len(failed) == 1 else 'their'} previous outputs are unchanged")
    return "\n".join(lines)


def _counts(reports) -> str:
    slides, pages, cells = (sum(getattr(r, k) for r in reports) for k in ("slides", "pages", "cells"))
    return (f"{len(reports)} deck{'s' * (len(reports) != 1)}: {slides} slides, {pages} pages, "
            f"{cells} cells")
