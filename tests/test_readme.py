"""The README tells the truth about the code: its option tables and its module list."""
from __future__ import annotations

import re

from helpers_for_tests import ROOT

from deck.options import readme_with_tables

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_option_tables_are_the_option_table():
    # `python -m deck.options` rewrites them; a new or changed option must reach the README
    assert readme_with_tables(README) == README
    assert "<!-- options: cell -->" in README and "<!-- options: front -->" in README


def test_layout_names_every_module():
    layout = README[README.index("## Project layout"):]
    for package in ("deck", "figures"):
        for path in sorted((ROOT / package).rglob("*.py")):
            assert re.search(rf"`{re.escape(path.name)}`", layout), f"{path.relative_to(ROOT)} is not in the layout"
