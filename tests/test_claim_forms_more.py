"""Claim forms a lecturer writes that deck once could not read, fix or place: sequences with `→`,
the true value in the claim's own unit (`2,1 Mo` -> `0,4 Mo`), a labelled comment fixed, numbers
beyond any float (`# 1e999`), sums of counts, values Jinja writes."""
import textwrap
from pathlib import Path

import pytest

from deck.claims.compare import holds
from deck.claims.fix import fix_sources, replace_claim
from deck.claims.grammar import read_value
from deck.execute.cell_api import Count, Quantity, nparams
from deck.pipeline import BuildOptions, build


def project(tmp_path: Path, body: str, lang: str = "fr", course: str = "") -> Path:
    src = tmp_path / "slides_src"
    src.mkdir(parents=True, exist_ok=True)
    if course:
        (src / "_course.yml").write_text(course, encoding="utf-8")
    (src / "t.md").write_text(f"---\ntitle: T\nlang: {lang}\n---\n\n" + textwrap.dedent(body).lstrip("\n"),
                              encoding="utf-8")
    return src / "t.md"


def check(root: Path):
    """`--check --no-layout --no-cache`, in this process: the deck's report."""
    [report] = build(BuildOptions(project_root=root, check=True, layout=False, cache=False, pdf=False))
    return report


# --- sequences ------------------------------------------------------------------------------

@pytest.mark.parametrize("written, value, true", [
    ("16 → 32 → 64", [16, 32, 64], True),
    ("16 -> 32 -> 64", (16, 32, 64), True),
    ("224 → 112 → 56 pixels", [224, 112, 56], True),
    ("33 280 → 99 328 → 329 728", [33280, 99328, 329728], True),
    ("0.50 → 0.25", [0.5, 0.25], True),
    ("16 → 32 → 64", [16, 32, 65], False),
    ("16 → 32", [16, 32, 64], False),          # one item left out is not the sequence
    ("16 → 32 → 64", 16, False),
])
def test_a_sequence_holds_item_by_item(written, value, true):
    assert type(read_value(written, "fr")).__name__ == "Sequence"
    assert holds(written, value, "fr") is true


@pytest.mark.parametrize("text", ["64 canaux → 128", "64 → more channels", "→ 64", "16 →"])
def test_what_is_not_a_sequence_is_prose(text):
    assert read_value(text, "fr") is None


@pytest.mark.slow
def test_a_sequence_in_a_result_comment_and_in_prose_is_checked(tmp_path):
    project(tmp_path, """
        # Canaux

        ```{python}
        #| output: comment
        #| meta: true
        from torch import nn
        net = nn.Sequential(nn.Conv2d(3, 16, 3), nn.Conv2d(16, 32, 3), nn.Conv2d(32, 64, 3))
        [m.out_channels for m in net]     # 16 → 32 → 64
        [nparams(m) for m in net]         # 448 → 4640 → 18 946
        ```

        Les canaux : `{py} [m.out_channels for m in net] => 16 → 32 → 64`.
        """)
    report = check(tmp_path)
    assert [c[0].line for c in report.checked] == [13, 14, 17]
    [false] = report.problems
    assert false.location.line == 14
    assert "gives 448 → 4640 → 18 496, not 448 → 4640 → 18 946" in false.message
    assert not report.unchecked


# --- the true value in the claim's form ------------------------------------------------------

@pytest.mark.parametrize("written, value, shown, lang, true", [
    ("2,1 Mo", Quantity(397312, "397 ko", kind="bytes"), "397 ko", "fr", "0,4 Mo"),
    ("97.5 MiB", Quantity(102436000, "102 MB", kind="bytes"), "102 MB", "en", "97.7 MiB"),
    ("0.44 GFLOPs", Quantity(462e6, "462 MFLOPs", kind="flops"), "462 MFLOPs", "en", "0.46 GFLOPs"),
    ("2 Go", Quantity(397312, "397 ko", kind="bytes"), "397 ko", "fr", "0,0004 Go"),   # never `0 Go`
    # its written precision reads 0: in its written significant digits, not one (`0,3 Mo`)
    ("350 Mo", Quantity(346000, "346 ko", kind="bytes"), "346 ko", "fr", "0,35 Mo"),
    ("~ 120 MB", Quantity(46000, "46 kB", kind="bytes"), "46 kB", "en", "~ 0.046 MB"),
    ("~ 12 Mo", Quantity(3e6, "3 Mo", kind="bytes"), "3 Mo", "fr", "~ 3 Mo"),
    ("25.6 M weights", Count(11689512), "11 689 512", "en", "11.7 M weights"),
    ("290 000 weights", Count(294768), "294,768", "en", "294 768 weights"),   # a count gets no decimals
    ("33 280 → 99 328 → 329 782", [33280, 99328, 329728], "[33280, 99328, 329728]", "fr",
     "33 280 → 99 328 → 329 728"),                          # the right parts stay as written
    # multiply-adds written in FLOPs: the right unit word, at the written prefix and precision
    ("4.1 GFLOPs", Quantity(4.09e9, "4.09 GMACs", kind="macs"), "4.09 GMACs", "en", "4.1 GMACs"),
    ("8.2 GMACs", Quantity(8.18e9, "8.18 GFLOPs", kind="flops"), "8.18 GFLOPs", "en", "8.2 GFLOPs"),
    # a count written in bytes: no unit of the claim's says it, the value goes as deck shows it
    ("25.6 MB", Count(25557032), "25 557 032", "en", "25 557 032"),
    # not as many items: the items as deck writes numbers, with the written arrows
    ("16 → 32", [16, 32, 64], "[16, 32, 64]", "en", "16 → 32 → 64"),
])
def test_the_true_value_keeps_the_claims_unit_and_form(written, value, shown, lang, true):
    from deck.claims.forms import true_as_written

    assert true_as_written(written, value, shown, lang) == true
    assert holds(true, value, lang)


def test_fix_writes_the_claims_unit_a_label_and_a_sequence(tmp_path):
    path = project(tmp_path, """
        # LSTM

        ```{python}
        #| output: comment
        from torch import nn
        lstm = nn.LSTM(64, 128)
        gru = nn.GRU(64, 128, num_layers=2)
        memory(lstm)            # 2,1 Mo
        nparams(gru)            # Nb de poids : 74 496
        ```

        Les tailles `{py} [nparams(nn.LSTM(64, h)) for h in (64, 128, 256)] => 33 280 → 99 328 → 329 782`.
        """)
    report = check(tmp_path)
    assert len(report.problems) == 3
    diff, fixed, refused = fix_sources([report], tmp_path, read=None)
    assert (fixed, refused) == (3, [])
    text = path.read_text(encoding="utf-8")
    assert "memory(lstm)            # 0,4 Mo\n" in text
    assert "nparams(gru)            # Nb de poids : 173 568\n" in text
    assert "=> 33 280 → 99 328 → 329 728`." in text
    assert not check(tmp_path).problems


def test_a_labelled_claim_is_replaced_after_its_label():
    assert replace_claim("nparams(gru)  # Nb de poids : 74 496", "74 496", "173 568") == \
        "nparams(gru)  # Nb de poids : 173 568"
    assert replace_claim("x  # 3 (one for each of 3 inputs)", "3", "4") == "x  # 4 (one for each of 3 inputs)"


def test_the_message_gives_the_true_value_in_the_claims_unit_too(tmp_path):
    project(tmp_path, """
        # A

        ```{python}
        #| output: comment
        from torch import nn
        memory(nn.LSTM(64, 128))   # 2,1 Mo
        ```
        """)
    [false] = check(tmp_path).problems
    assert "gives 397 ko (0,4 Mo), not 2,1 Mo" in false.message.replace("\u00a0", " ")


# --- numbers beyond any float ------------------------------------------------------------------

@pytest.mark.parametrize("text", ["1e999", "-1e999", "9e307 M", "1e308 k", "5 × 10^999", "tensor([1e999])",
                                  "[1e999]", "(1e999, 2)", "~ 1000e308"])
def test_a_number_beyond_any_float_is_not_a_value(text):
    assert read_value(text, "en") is None


def test_1e999_in_a_result_comment_is_an_unchecked_number_at_its_line(tmp_path):
    project(tmp_path, """
        # A

        ```{python}
        #| output: comment
        x = 2
        float("inf")            # 1e999
        x                       # 1e999
        ```
        """)
    report = check(tmp_path)
    assert not report.problems, [str(p) for p in report.problems]  # no cell error, no traceback
    assert [(u.location.line, u.number) for u in report.unchecked] == [(11, "1e999"), (12, "1e999")]


# --- counts added stay counts; values Jinja writes ------------------------------------------------

def test_a_sum_of_counts_is_a_count():
    from torch import nn

    layers = [nn.Linear(4, 3), nn.Linear(3, 2)]
    assert holds("23 poids", sum(nparams(m) for m in layers), "fr")
    for total in (sum(nparams(m) for m in layers), nparams(layers[0]) + nparams(layers[1])):
        assert type(total) is Count
        assert not holds("23 Mo", total, "fr")
    assert type(4 * nparams(layers[0])) is int   # 4 bytes per weight: no longer a count
    assert type(nparams(layers[0]) + 1) is int


def test_a_sum_of_counts_written_in_bytes_says_why(tmp_path):
    project(tmp_path, """
        # A

        ```{python}
        #| output: comment
        from torch import nn
        sum(nparams(nn.Linear(4, 3)) for _ in range(2))   # 30 Mo
        ```
        """)
    [false] = check(tmp_path).problems
    assert "a count written in bytes (`Mo`)" in false.message


def test_values_jinja_writes_are_checked_or_listed(tmp_path):
    """`{{ n }}` from _course.yml or `{% set %}`: a claim when written as one, else unchecked."""
    project(tmp_path, """
        # A

        ```{python}
        #| output: comment
        #| meta: true
        from torch import nn
        lstm = nn.LSTM(64, {{ hidden }})
        lstm.hidden_size          # {{ hidden }}
        ```

        {% set gates = 4 %}
        Un LSTM de `{py} lstm.hidden_size => {{ hidden }}` unités a {{ gates }} portes.
        {% for n in [1, 2] %}- {{ n }} couche(s)
        {% endfor %}
        """, course="hidden: 128\n")
    report = check(tmp_path)
    assert not report.problems
    assert [(c[0].line, c[1]) for c in report.checked] == [(13, "128"), (17, "128")]
    assert [(u.location.line, u.number) for u in report.unchecked] == [(17, "4"), (18, "1"), (18, "2")]


def test_quantities_divide_into_plain_numbers(tmp_path):
    """`memory(a) / memory(b)`, as a lecturer writes a ratio: a plain number, no cell error."""
    project(tmp_path, """
        # A

        ```{python}
        #| output: comment
        import torch
        big, small = torch.empty(8, 16, 64, 64), torch.empty(8, 32, 32, 32)
        memory(big) / memory(small)     # 2.0
        memory(big) + memory(small)     # 3145728
        ```
        """, lang="en")
    report = check(tmp_path)
    assert not report.problems, [str(p) for p in report.problems]
    assert [c[1] for c in report.checked] == ["2.0", "3145728"]


@pytest.mark.slow
def test_sequences_of_shapes_and_fields_are_fixed_as_deck_writes_them(tmp_path):
    path = project(tmp_path, """
        # A

        ```{python}
        #| output: comment
        #| meta: true
        import torch
        from torch import nn
        x = torch.randn(32, 64, 56, 56)
        down = nn.Conv2d(64, 128, 3, stride=2, padding=1)
        [shape(x), shape(down(x))]          # (32, 64, 56, 56) → (32, 128, 27, 28)
        [receptive_field([nn.Conv2d(1, 1, 3)] * n) for n in (1, 2, 3)]   # 3 × 3 → 5 × 5 → 9 × 9
        [memory(torch.empty(n)) for n in (1000, 2000)]   # 4 kB → 9 kB
        ```
        """, lang="en")
    report = check(tmp_path)
    assert [p.location.line for p in report.problems] == [15, 16, 17]
    assert fix_sources([report], tmp_path, read=None)[1:] == (3, [])
    text = path.read_text(encoding="utf-8")
    for fixed in ("# (32, 64, 56, 56) → (32, 128, 28, 28)\n", "# 3 × 3 → 5 × 5 → 7 × 7\n", "# 4 kB → 8 kB\n"):
        assert fixed in text
    assert not check(tmp_path).problems


def test_a_claim_on_a_meta_tensor_says_why_and_is_not_fixed(tmp_path):
    """A meta tensor has no values: the claim cannot hold, and --fix must not write its repr."""
    path = project(tmp_path, """
        # A

        ```{python}
        #| output: comment
        #| meta: true
        import torch
        torch.tensor([16, 32, 64])          # 16 → 32 → 64
        ```
        """, lang="en")
    report = check(tmp_path)
    [problem] = report.problems
    assert problem.location.line == 12 and "meta device" in problem.message and "without `meta: true`" in problem.message
    before = path.read_text(encoding="utf-8")
    _, fixed, refused = fix_sources([report], tmp_path, read=None)
    assert (fixed, len(refused)) == (0, 1)
    assert path.read_text(encoding="utf-8") == before


# --- numbers that vanished from coverage ---------------------------------------------------------

@pytest.mark.parametrize("text, listed", [
    ("1.2M params", ["1.2M"]), ("~25M weights", ["~25M"]), ("5k steps", ["5k"]),   # a glued scale
    ("4x faster, 1.5x smaller", ["4x", "1.5x"]),                                    # a factor
    ("between -1 and 1", ["-1", "1"]), ("(−1, 1)", ["−1", "1"]),                    # a minus sign
    ("2^10 bytes, 10⁶ images", ["2^10", "10⁶"]), ("1/3 of the cost", ["1/3"]),
    ("ResNet-50, top-5, Conv2d, float32, 3D, GPT-2", []),                           # names stay names
    ("25/10/2024, 1e-5", ["1e-5"]),
])
def test_quantities_once_silent_are_listed(text, listed):
    from deck.claims.coverage import numbers_in

    assert numbers_in(text) == listed


@pytest.mark.parametrize("text, listed", [
    ("La taille de sortie est ⌊(224 + 2 − 3) / 2⌋ + 1 = 112.", ["⌊(224 + 2 − 3) / 2⌋ + 1 = 112"]),
    ("Soit 4 × 2 + 2 = 10 poids", ["4 × 2 + 2 = 10"]),
    ("a 7 × 7 conv: 64 × (3 × 7² + 1) = 9472 weights", ["7 × 7", "64 × (3 × 7² + 1) = 9472"]),
    ("a 3 × 3 kernel, stride 2", ["3 × 3", "2"]),          # a product alone is a size, not a formula
    ("version 2 + 1, 2024-10-25", []),                      # a label's and a date's stay theirs
])
def test_a_formula_typed_in_prose_is_listed_once_whole(text, listed):
    """The hint then names the claim to write (`{py} expr => ⌊(224 + 2 − 3) / 2⌋ + 1 = 112`), not
    each of its numbers."""
    from deck.claims.coverage import numbers_in

    assert numbers_in(text) == listed
