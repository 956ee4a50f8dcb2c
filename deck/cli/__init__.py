"""The command line: `python build.py [DECK ...] [options]` (main.py), its progress display, and
`python build.py new NAME` (new_deck.py). Thin: it parses arguments and calls the pipeline."""
from .main import main

__all__ = ["main"]
