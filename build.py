#!/usr/bin/env python3
"""Build the lecture decks of slides_src/ into build/ (HTML and PDF). See README.md."""
import os
import sys

if __name__ == "__main__" and os.environ.get("PYTHONHASHSEED") != "0":
    # A set a cell prints (and any str hash a cell's code depends on) comes out in the order of the
    # hash seed: fixed, so that the same sources give the same slides. Only a fresh interpreter can
    # take it, so deck starts again, at once, before importing anything.
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])

from deck.cli import main  # noqa: E402
from deck.processes.supervisor import supervised  # noqa: E402

if __name__ == "__main__":
    sys.exit(supervised(main))
