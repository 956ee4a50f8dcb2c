"""The claim grammar (deck/claims/grammar.py): what reads as a value, and when it holds."""
from __future__ import annotations

import pytest
import torch

from deck.claims.compare import holds
from deck.claims.grammar import read_value, split_remark

TRUE = [  # (written, value, deck language)
    ("1e-5", 1e-5, "en"), ("1.0e-05", 1e-5, "en"), ("10^-5", 1e-5, "en"), ("1 × 10⁻⁵", 1e-5, "fr"),
    ("2,5 × 10⁻⁴", 2.5e-4, "fr"), ("~ 0.86", 0.8545, "en"), ("~ 0.86", 0.8651, "en"), ("~ 250 M", 251658240, "fr"),
    ("≈ 250 M", 241e6, "en"), ("2.30", 2.302585, "fr"), ("2,30", 2.302585, "fr"), ("524 800", 524800, "fr"),
    ("524\u202f800", 524800, "fr"), ("524,800", 524800, "en"), ("1,01 Go", 1006632960, "fr"),
    ("1.01 GB", 1006632960, "en"), ("4 GiB", 4 * 2**30, "en"), ("86 %", 0.86, "en"), ("86 %", 86.2, "en"),
    ("160 poids", 160, "fr"), ("1,5", 1.5, "en"), ("0.33", 1 / 3, "en"), ("2025", 2025, "en"), ("-3", -3, "en"),
    ("(8, 16, 2551)", (8, 16, 2551), "en"), ("torch.Size([8, 16, 2551])", (8, 16, 2551), "en"),
    ("(32,)", (32,), "en"), ("[8, 16]", (8, 16), "en"), ("64 × 10", (64, 10), "en"),
    ("1024 x 512 + 512", 524800, "en"), ("64 × (3 × 7² + 1)", 9472, "fr"), ("3 × 2 + 2 = 8", 8, "en"),
    ("1024 × 512 + 512 = 524 800", 524800, "fr"),
    ("tensor([0.09, 0.24, 0.67])", torch.tensor([0.09, 0.24, 0.67]), "en"),
    ("tensor(2.3026)", torch.tensor(2.302585), "en"), ("tensor(True)", torch.tensor(True), "en"),
    ("tensor([1., 1.])", torch.ones(2, requires_grad=True) * 1.0, "en"),
    ("tensor(inf, dtype=torch.float16)", torch.tensor(float("inf"), dtype=torch.float16), "en"),
    ("[0.5, 0.25]", [0.5, 0.25], "en"), ("torch.float32", torch.float32, "en"), ("float", torch.float32, "en"),
    ("True", True, "en"), ("'relu'", "relu", "en"), ("{'a': 1}", {"a": 1}, "en"),
]
FALSE = [
    ("1e-5", 0.0, "en"), ("~ 0.86", 0.8749, "en"), ("~ 250 M", 236e6, "fr"), ("524 801", 524800, "fr"),
    ("(8, 16, 2501)", (8, 16, 2551), "en"), ("80 poids", 160, "fr"), ("tensor([1., 2.])", torch.eye(2), "en"),
    ("3 × 2 + 2 = 9", 8, "en"), ("False", True, "en"), ("torch.int64", torch.float32, "en"), ("2.31", 2.302585, "en"),
]
PROSE = ["the sum of all ones", "should be around 2.3", "total over the batch", "10 % du chemin vers 280",
         "switch off dropout", "no longer 0"]


@pytest.mark.parametrize("written,value,lang", TRUE)
def test_true_claims_hold(written, value, lang):
    assert read_value(written, lang) is not None
    assert holds(written, value, lang)


@pytest.mark.parametrize("written,value,lang", FALSE)
def test_false_claims_do_not(written, value, lang):
    assert not holds(written, value, lang)


@pytest.mark.parametrize("text", PROSE)
def test_prose_is_not_a_value(text):
    assert read_value(text, "en") is None and split_remark(text, "en") == ("", text)


@pytest.mark.parametrize("text,value", [("32 (a scale and a shift per channel)", "32"),
                                        ("(2, 5)  one mean per token", "(2, 5)"),
                                        ("True (unbiased variance!)", "True"),
                                        ("tensor([1., 1.])   each row sums to 1", "tensor([1., 1.])")])
def test_a_value_may_carry_a_remark(text, value):
    assert split_remark(text, "en")[0] == value


@pytest.mark.parametrize("written, value, holds_", [
    ("about 1e-3", 0.0012, True), ("about 5k weights", 5130, True), ("about 5k weights", 6200, False),
    ("environ 1,2 M", 1_250_000, True), ("roughly 22.6", 22.43, False), ("around 22.4", 22.43, True),
])
def test_about_in_words_is_a_tilde(written, value, holds_):
    from deck.claims.compare import holds

    assert holds(written, value, "fr" if "environ" in written else "en") is holds_


@pytest.mark.parametrize("written,value,true", [
    ("64² = 4096", 4096, True), ("7² = 49", 49, True), ("2⁴ = 16", 16, True), ("10⁶ = 1000000", 10**6, True),
    ("64²", 4096, True), ("64²", 64, False), ("7²", 7, False), ("2⁴", 2, False),
    ("64 m²", 64, True), ("2,5 × 10⁻⁴", 2.5e-4, True), ("10⁶", 10**6, True),
])
def test_a_power_written_in_superscripts_is_its_value(written, value, true):
    """`64²` was read as the number 64 followed by a unit word `²`: a new lecturer's true
    `{py} n * n => 64² = 4096` was false ("is 4096, not 64² = 4096"), and `64²` held for 64."""
    assert holds(written, value, "fr") is true


@pytest.mark.parametrize("written,value,true", [
    ("≈ 4,6 milliers de poids", 4640, True), ("4,6 milliers", 4640, True), ("4,6 milliers", 4.6, False),
    ("2 milliers de pixels", 2000, True), ("4,2 millions d'octets", 4194304, True),
    ("4,2 millions d’octets", 4194304, True), ("1 million d'exemples", 10**6, True), ("5 millions d'octets", 4194304, False),
])
def test_french_scale_words_milliers_and_an_elided_de(written, value, true):
    """`4,6 milliers de poids` and `4,2 millions d'octets`, as a French lecturer writes them, were not
    values (or `4,6 milliers` was 4.6 of a unit word): a true claim failed."""
    assert read_value(written, "fr") is not None
    assert holds(written, value, "fr") is true
