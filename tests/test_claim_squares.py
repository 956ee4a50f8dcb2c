"""Square and per-axis values: `11 × 11` of a side of 11, of a (11, 11) size, of an area of 121;
a product of different factors stays a formula (deck/claims/compare.py)."""
from __future__ import annotations

import pytest
from helpers_for_tests import run

from deck.claims.compare import holds
from deck.claims.grammar import read_value


@pytest.mark.parametrize("written,value", [
    ("11 × 11", 11), ("11 × 11", (11, 11)), ("11 × 11", 121), ("11 x 11", 11), ("7 × 7 × 7", 7),
    ("11 × 11 pixels", 11), ("11 × 11 pixels", (11, 11)), ("3 × 3 + 1 poids", 10), ("64 × 10", 640),
    ("64 × 10", (64, 10)),
])
def test_a_square_holds_for_its_side(written, value):
    assert holds(written, value, "en")


@pytest.mark.parametrize("written,value", [
    ("11 × 11", 12), ("11 × 11", (11, 12)), ("11 × 11 pixels", 10), ("64 × 10", 64), ("64 × 10", 10),
])
def test_anything_else_is_false(written, value):
    assert not holds(written, value, "en")


def test_a_square_with_its_unit_word_is_a_claim_in_a_result_comment(tmp_path):
    deck, problems = run("""
        # Receptive field
        ```{python}
        #| output: comment
        def rf(layers):
            return 1 + 2 * layers
        rf(5)  # 11 × 11 pixels
        rf(4)  # 11 × 11 pixels
        ```
        In prose: `{py} rf(5) => 11 × 11`.
        """, tmp_path, check=True)
    assert read_value("11 × 11 pixels", "en") is not None
    assert [(p.location.line, p.message) for p in problems.items] == [
        (11, "claim is false: this line gives 9, not 11 × 11 pixels")]
    assert [c[0].line for c in problems.claims] == [10, 11, 13]


@pytest.mark.parametrize("true,fixed", [("121", "11 × 11"), ("12,100", "110 × 110"), ("1,21", None), ("-121", None)])
def test_a_square_is_fixed_only_to_the_square_of_an_integer(true, fixed):
    from deck.claims.fix import _square_of

    # `1,21` is the French 1.21, not 121: no integer side
    assert _square_of("12 × 12", true) == fixed
