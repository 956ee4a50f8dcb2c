"""Formulas with floor and ceiling (`⌊ ⌋`, `⌈ ⌉`, `//`, `floor()`, `ceil()`): evaluated, each side of
`=` must hold (deck/claims/grammar.py)."""
from __future__ import annotations

import pytest
from helpers_for_tests import run

from deck.claims.compare import holds
from deck.claims.grammar import read_value


@pytest.mark.parametrize("written,value", [
    ("⌊(6 + 2 × 1 - 3) / 2⌋ + 1 = 3", 3), ("⌊(224 + 2 × 3 − 7) / 2⌋ + 1 = 112", 112),
    ("⌊(224 + 2 × 3 − 7) / 2⌋ + 1", 112), ("⌈7 / 2⌉", 4), ("⌈(32 − 3 + 1) / 4⌉ = 8", 8),
    ("(224 + 2 * 3 - 7) // 2 + 1 = 112", 112), ("floor((224 + 6 - 7) / 2) + 1 = 112", 112),
    ("math.floor(223 / 2) + 1", 112), ("ceil(7 / 2) = 4", 4), ("math.ceil(7/2)", 4),
    ("(5 − 1) × 2 + 3 = 11", 11), ("⌊(5 + 2 × 0 − 1 × (3 − 1) − 1) / 1⌋ + 1 = 3", 3),
])
def test_floor_and_ceiling_are_evaluated(written, value):
    assert read_value(written, "en") is not None
    assert holds(written, value, "en")


@pytest.mark.parametrize("written,value", [
    ("⌊(6 + 2 × 1 - 3) / 2⌋ + 1 = 4", 3),       # the left side is 3: `= 4` is false
    ("⌊(6 + 2 × 1 - 3) / 2⌋ + 1 = 4", 4),       # the right side holds, the left does not
    ("(6 + 2 - 3) // 2 + 1", 4), ("⌈7 / 2⌉", 3), ("ceil(7 / 2) = 4", 3), ("(224 + 6 - 7) / 2 + 1", 112),
])
def test_each_side_must_hold(written, value):
    assert not holds(written, value, "en")


def test_a_false_floor_formula_in_a_result_comment_is_caught_at_its_line(tmp_path):
    deck, problems = run("""
        # Output size
        ```{python}
        #| output: comment
        def out(n, k, s, p):
            return (n + 2 * p - k) // s + 1
        out(6, 3, 2, 1)  # ⌊(6 + 2 × 1 - 3) / 2⌋ + 1 = 4
        out(224, 7, 2, 3)  # ⌊(224 + 2 × 3 − 7) / 2⌋ + 1 = 112
        ```
        """, tmp_path, check=True)
    assert [(p.location.line, p.message) for p in problems.items] == [
        (10, "claim is false: this line gives 3, not ⌊(6 + 2 × 1 - 3) / 2⌋ + 1 = 4")]
    assert len(problems.claims) == 2
