#!/usr/bin/env python3
"""Build the lecture decks of slides_src/ into build/ (HTML and PDF). See README.md."""
import sys

from deck.cli import main
from deck.execute.supervise import supervised

if __name__ == "__main__":
    sys.exit(supervised(main))
