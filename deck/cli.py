"""Command line: `python build.py [DECK ...] [options]`. Thin: parse arguments, call the pipeline."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import DeckError

EXIT_OK, EXIT_FALSE_CLAIM, EXIT_ERROR = 0, 1, 2


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python build.py", description="Build lecture decks to HTML and PDF.")
    p.add_argument("decks", nargs="*", help="deck names or paths (default: every deck in slides_src/)")
    p.add_argument("-o", "--out", type=Path, help="output folder (default: build/)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--html-only", action="store_true", help="write the HTML deck only")
    fmt.add_argument("--pdf-only", action="store_true", help="write the PDF only")
    p.add_argument("--handout", action="store_true", help="PDF with one page per slide (final state of each)")
    p.add_argument("--check", action="store_true", help="verify every number and claim; write no PDF")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default: current folder)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    from .pipeline import BuildOptions, build

    options = BuildOptions(project_root=args.root.resolve(), decks=args.decks, out_dir=args.out,
                           html=not args.pdf_only, pdf=not args.html_only, handout=args.handout,
                           check=args.check)
    start = time.perf_counter()
    try:
        reports = build(options)
    except DeckError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    status = EXIT_OK
    for r in reports:
        for w in r.warnings:
            print(f"warning: {w}", file=sys.stderr)
        for p in r.problems:
            print(f"error: {p}", file=sys.stderr)
        if r.problems:
            from .errors import ClaimError

            worst = EXIT_ERROR if any(not isinstance(p, ClaimError) for p in r.problems) else EXIT_FALSE_CLAIM
            status = max(status, worst)
    seconds = time.perf_counter() - start
    print(summary(reports, seconds, options.check))
    return status


def summary(reports, seconds: float, check: bool) -> str:
    slides = sum(r.slides for r in reports)
    pages = sum(r.pages for r in reports)
    cells = sum(r.cells for r in reports)
    problems = sum(len(r.problems) for r in reports)
    verb = "checked" if check else "built"
    text = (f"{verb} {len(reports)} deck{'s' * (len(reports) != 1)}: {slides} slides, {pages} pages, "
            f"{cells} cells in {seconds:.1f} s")
    if problems:
        text += f"; {problems} problem{'s' * (problems != 1)}"
    outs = [str(o) for r in reports for o in r.outputs]
    return text + ("\n" + "\n".join(f"  -> {o}" for o in outs) if outs else "")
