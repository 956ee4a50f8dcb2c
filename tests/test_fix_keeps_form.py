"""`--fix` changes only the number, in the claim's own form: its `~`, unit and scale words,
separators and written precision, wherever the claim then holds; else the value as it is shown."""
import pytest

from deck.claims.fix import keep_form


@pytest.mark.parametrize("written, true, fixed", [
    ("~ 100", "201", "~ 200"),                        # about, at the written precision
    ("102,464 weights", "36 928", "36,928 weights"),  # the lecturer's separators and unit word
    ("3.2 millions", "4 738 560", "4.7 millions"),    # a scale word keeps its scale
    ("~ 250 M", "240 123 456", "~ 240 M"),
    ("527 104", "789 760", "789 760"),                # a whole count stays exact
    ("0.5", "0.8545", "0.9"),                         # one decimal written, one decimal fixed
    ("70,9 Mo", "70 912", "0,0709 Mo"),               # `0,1 Mo` holds at one decimal but is 41 % off:
                                                      # the written significant digits are kept
    ("~ 30 M", "3 400 000", "~ 3 M"),                 # `~ 0 M` would say nothing
])
def test_fix_keeps_the_form_of_the_claim(written, true, fixed):
    assert keep_form(written, true) == fixed


@pytest.mark.parametrize("written, true", [
    ("2,1 Mo", "3.16 Mo"),   # the true value says its own unit: written as it is shown
    ("3 k", "201"),          # `0 k` would hold at its precision, and say nothing
])
def test_no_form_that_would_mislead(written, true):
    assert keep_form(written, true) is None
