"""`python build.py new NAME`: write slides_src/NAME.md, a small deck that shows every element of the format.

The template (deck/cli/new_deck.md) is copied as it is, with only its title and date filled in: it
is itself a deck source, Jinja included, and it builds and passes `--check` as written.
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

from ..shared.files import display_path

TEMPLATE = Path(__file__).resolve().parent / "new_deck.md"
SIMPLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class ScaffoldError(Exception):
    """A name or a target that `new` refuses; the message says why."""


def check_name(name: str) -> str:
    """The deck name (`.md` dropped), or ScaffoldError if it is not a simple file name."""
    stem = name[:-3] if name.endswith(".md") else name
    if not SIMPLE_NAME.fullmatch(stem) or len(stem) > 100:
        raise ScaffoldError(
            f"{name!r} is not a simple file name: use letters, digits, '_' and '-', starting with a letter "
            "or digit, without folders (the deck is written to slides_src/NAME.md)")
    return stem


def title_of(stem: str) -> str:
    words = re.split(r"[_-]+", stem)
    return " ".join(w[:1].upper() + w[1:] for w in words if w) or stem


def scaffold(name: str, root: Path, today: dt.date | None = None) -> Path:
    """Write <root>/slides_src/<name>.md from the template; never overwrite an existing file."""
    stem = check_name(name)
    target = root / "slides_src" / f"{stem}.md"
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace("__TITLE__", title_of(stem)).replace("__DATE__", (today or dt.date.today()).isoformat())
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "x", encoding="utf-8") as f:  # "x": fails if the file exists, even in a race
            f.write(text)
    except FileExistsError:
        raise ScaffoldError(f"{display_path(target)} already exists; not overwriting it "
                            "(choose another name, or delete the file first)") from None
    return target


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python build.py new",
                                description="Write slides_src/NAME.md, a small deck showing every element "
                                            "of the format, ready to build and edit.")
    p.add_argument("name", help="the deck's file name, without folders (NAME or NAME.md)")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default: current folder)")
    args = p.parse_args(argv)
    try:
        target = scaffold(args.name, args.root.resolve())
    except ScaffoldError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    stem = target.stem
    root = "" if args.root.resolve() == Path.cwd().resolve() else f" --root {display_path(args.root)}"
    print(f"created {display_path(target)}\n"
          f"  build it:   python build.py{root} {stem}\n"
          f"  live view:  python build.py{root} {stem} --watch\n"
          f"  check it:   python build.py{root} {stem} --check")
    return 0
