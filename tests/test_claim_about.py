"""About means about: `~ x` holds when the value rounds to x, or is within one unit of x's last
significant digit and within 10 % of x (deck/claims/grammar.py read_number)."""
from __future__ import annotations

import pytest

from deck.claims.compare import holds

HOLDS = [  # (written, value): the examples and the README's table
    ("~ 2", 2.4), ("~ 0.86", 0.8545), ("~ 0.86", 0.85), ("~ 0.86", 0.87), ("~ 0.86", 0.8651),
    ("~ 250 M", 240e6), ("~ 250 M", 260e6), ("~ 250 M", 251_658_240), ("≈ 250 M", 241e6),
    ("~ 100", 104), ("~ 100", 96), ("~ 100", 149), ("~ 300 M", 340e6), ("~ 1,01 Go", 1_006_632_960),
    ("about 5k", 5400), ("environ 1,2 M", 1.25e6), ("environ 790 000 poids", 787_000), ("~ 2,30", 2.302585),
]
FAILS = [
    ("~ 100", 150), ("~ 100", 199), ("~ 100", 50), ("~ 300 M", 399e6), ("~ 250 M", 236e6), ("~ 250 M", 265e6),
    ("~ 0.86", 0.8749), ("~ 2", 2.6), ("about 5k", 5600), ("environ 1,2 M", 1.32e6),
]


@pytest.mark.parametrize("written,value", HOLDS)
def test_about_holds_close_to_the_written_figure(written, value):
    assert holds(written, value, "fr" if "," in written else "en")


@pytest.mark.parametrize("written,value", FAILS)
def test_about_fails_far_from_it(written, value):
    assert not holds(written, value, "fr" if "," in written else "en")


def test_the_readme_states_the_rule():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "within 10 %" in readme and "`~ 100` fails for 150" in readme
