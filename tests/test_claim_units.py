"""Values with units: what a claim's unit says the quantity is, scale words in both languages, the
tolerance the written precision gives, units included (deck/claims/grammar.py, compare.py)."""
from __future__ import annotations

import pytest
import torch.nn as nn
from helpers_for_tests import run, run_build

from deck.claims.compare import holds
from deck.claims.grammar import read_value
from deck.execute.cell_api import Quantity, approx, memory, nparams

# 25,557,032 weights: ResNet-50's count, as torchvision's model card gives it; a real layer gives the kind
RESNET50_WEIGHTS = 25_557_032
LAYER = nn.Linear(1000, 1000)  # 1,001,000 weights, 4,004,000 bytes in float32


def counted(n: int):
    """A count as nparams() returns it (a real layer of that many weights would take gigabytes)."""
    return type(nparams(LAYER))(n)


@pytest.mark.parametrize("written,value", [
    ("4.1 GFLOPs", Quantity(4.09e9, "4.09 GFLOPs", kind="flops")),
    ("4.1 GMACs", Quantity(4.09e9, "4.09 GMACs", kind="macs")),
    ("8.2 GFLOPs", Quantity(8.18e9, "8.18 GFLOPs", kind="flops")),
    ("320 MMACs", Quantity(320.4e6, "320 MMACs", kind="macs")),
    ("4.1 G", Quantity(4.09e9, "4.09 GMACs", kind="macs")),          # a bare scale: a count of anything
    ("4.1e9 FLOPs", Quantity(4.09e9, "4.09 GFLOPs", kind="flops")),
    ("4.1 billion multiply-adds", Quantity(4.09e9, "4.09 GMACs", kind="macs")),
    ("3.7 billion", 3.7e9), ("60 million", 60_000_000), ("60 millions", 60_000_000),
    ("60 millions de poids", 60_000_000), ("3,7 milliards", 3.7e9), ("1 milliard", 1e9),
    ("790 mille", 790_000), ("12 thousand", 12_000),
    ("25.6 Mparams", None), ("25.6 M", None), ("25,6 M poids", None), ("25.6 million weights", None),
    ("25,557,032 weights", None), ("~ 26 M", None),
])
def test_units_with_a_prefix_or_a_scale_word_keep_it(written, value):
    value = counted(RESNET50_WEIGHTS) if value is None else value
    lang = "fr" if any(w in written for w in ("milli", "poids", "mille")) else "en"
    assert holds(written, value, lang), written


@pytest.mark.parametrize("written,value,why", [
    ("25.6 MB", "count", "a count written in bytes (`MB`)"),
    ("25,6 Mo", "count", "a count written in bytes (`Mo`)"),
    ("4.0 M", "bytes", "bytes written as a count (`M`)"),
    ("4 M weights", "bytes", "bytes written as a count (`M weights`)"),
    ("4.1 GFLOPs", "macs", "multiply-adds (MACs) written as FLOPs (`GFLOPs`); one multiply-add is 2 FLOPs"),
    ("8.2 GMACs", "flops", "FLOPs written as multiply-adds (MACs) (`GMACs`); one multiply-add is 2 FLOPs"),
])
def test_a_quantity_written_in_another_kind_is_false_and_says_why(tmp_path, written, value, why):
    values = {"count": "nparams(resnet)", "bytes": "memory(layer)",
              "macs": "Quantity(4.09e9, '4.09 GMACs', kind='macs')",
              "flops": "Quantity(8.18e9, '8.18 GFLOPs', kind='flops')"}
    lang = "fr" if "Mo" in written else "en"
    deck, problems = run(f"""
        # Units
        ```{{python}}
        #| echo: false
        import torch.nn as nn
        from deck.execute.cell_api import Quantity
        resnet, layer = nn.Linear(5111, 5000), nn.Linear(1000, 1000)
        ```
        It is `{{py}} {values[value]} => {written}`.
        """, tmp_path, lang, check=True)
    assert len(problems.items) == 1, problems.items
    message = problems.items[0].message
    assert message.endswith(": " + why), message
    assert problems.items[0].location.line == 12


@pytest.mark.parametrize("written,lang,said", [
    ("2,6 milliers de poids", "fr", "4640 (4,6 milliers de poids)"),
    ("2 thousand weights", "en", "4640 (5 thousand weights)"),
    ("1.2 M weights", "en", "4640 (0.0046 M weights)"),
])
def test_a_false_count_in_a_scale_is_answered_in_that_scale_too(tmp_path, written, lang, said):
    """`is 4640, not 2,6 milliers de poids` made the reader convert; the count in the claim's own
    scale is said beside it, as `102 MB (97.7 MiB)` is for bytes."""
    deck, problems = run(f"""
        # Units
        ```{{python}}
        from torch import nn
        conv = nn.Conv2d(16, 32, 3)
        ```
        It has `{{py}} nparams(conv) => {written}`.
        """, tmp_path, lang, check=True)
    [problem] = problems.items
    assert problem.message.endswith(f"is {said}, not {written}"), problem.message


def test_a_plain_number_accepts_any_unit():
    """Only values deck knows the kind of carry one: `x.numel()` is a plain int."""
    assert holds("25.6 MB", RESNET50_WEIGHTS, "en") and holds("25.6 M weights", 25.6e6, "en")
    assert holds("4 MB", memory(LAYER), "en") and holds("4,004,000 bytes", memory(LAYER), "en")
    assert holds("1,001,000", nparams(LAYER), "en") and holds("4004000", memory(LAYER), "en")


def test_mega_is_ten_to_the_six_and_mebi_two_to_the_twenty():
    mib = Quantity(2**20, "1.05 MB", kind="bytes")
    assert holds("1 MiB", mib, "en") and holds("1 Mio", mib, "fr") and holds("1.05 MB", mib, "en")
    assert not holds("1.00 MB", mib, "en") and not holds("1.05 MiB", mib, "en")


@pytest.mark.parametrize("written,holds_for,fails_for", [
    ("2 MB", [1.5e6, 2.16e6, 2.5e6], [1.49e6, 2.51e6]),       # rounding at the written digit, units included
    ("2.0 MB", [1.95e6, 2.04e6], [2.16e6]),
    ("25.6 M", [25.55e6, 25.65e6], [25.7e6]),
    ("86 %", [0.855, 0.865], [0.87]),
    ("3 ms", [0.0025, 0.0035], [0.004]),
    ("160 poids", [160], [159, 161]),                          # a whole count is exact
    ("524 800", [524_800], [524_801]),
    ("512 B", [512], [511]),                                   # whole bytes too
])
def test_the_written_precision_sets_the_tolerance(written, holds_for, fails_for):
    for v in holds_for:
        assert holds(written, v, "fr"), (written, v)
    for v in fails_for:
        assert not holds(written, v, "fr"), (written, v)


def test_memory_and_nparams_carry_their_kind():
    assert memory(LAYER).kind == "bytes"
    assert read_value("1 MB", "en").kind == "bytes" and read_value("1 k poids", "fr").kind == "count"
    assert nparams(LAYER)._deck_kind_ == "count" and approx(nparams(LAYER)).kind == "count"
    assert read_value("10 % du chemin", "fr") is None  # a number followed by words stays prose


def test_verbose_check_shows_each_claims_kind(project):
    project.deck("""
        ---
        title: T
        lang: en
        ---
        # Units
        ```{python}
        #| output: comment
        import torch.nn as nn
        layer = nn.Linear(1000, 1000)
        nparams(layer)   # 1.001 M
        memory(layer)    # 4.0 MB
        ```
        Plain: `{py} 2 + 2 => 4`, in bytes: `{py} 4004000 => 4.004 MB`.
        """)
    out = run_build(project, "--check", "-v", "--no-layout").stdout
    assert "claim: slides_src/t.md:10 (slide 2): 1.001 M (count)\n" in out, out
    assert "claim: slides_src/t.md:11 (slide 2): 4.0 MB (bytes)\n" in out
    assert "claim: slides_src/t.md:13 (slide 2): 4\n" in out
    assert "claim: slides_src/t.md:13 (slide 2): 4.004 MB (bytes)\n" in out
