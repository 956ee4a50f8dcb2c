"""Claim coverage: every number typed on a slide is checked, or the check says it is not
(deck/claims/coverage.py, `--check --strict`, `check: strict`)."""
from __future__ import annotations

import json

import pytest
from helpers_for_tests import run_build

from deck.claims.coverage import numbers_in
from deck.pipeline import BuildOptions, build_deck

DECK = """\
---
title: T
lang: en
---
# Costs

```{python}
#| output: comment
import torch.nn as nn
layer = nn.Linear(1000, 1000)
nparams(layer)   # 1,001,000
layer.out_features  # should be about 1000
```

A layer of `{py} nparams(layer) => 1,001,000` weights, about 4 MB in float32.

- 3 × 3 kernels, stride 2
- `{py} 2 + 2 => 4` is checked
"""


def check(project, text: str, strict: bool = False, name: str = "t"):
    path = project.deck(text, name)
    return build_deck(path, BuildOptions(project_root=project.root, check=True, layout=False, strict=strict))


def test_numbers_typed_in_prose_and_comments_are_listed_with_their_line(project):
    report = check(project, DECK)
    assert report.problems == []
    assert [(u.location.line, u.location.slide, u.number) for u in report.unchecked] == [
        (12, 2, "1000"), (15, 2, "4 MB"), (17, 2, "3 × 3"), (17, 2, "2")]
    assert report.claims == 3


@pytest.mark.slow
def test_the_summary_counts_and_verbose_lists_them(project):
    project.deck(DECK)
    run = run_build(project, "--check", "-v", "--no-layout")
    assert run.returncode == 0, run.stderr
    assert "; 3 claims checked, 4 numbers on slides not checked; every claim holds" in run.stdout
    assert ('unchecked: slides_src/t.md:15 (slide 2): 4 MB in "A layer of `{py} nparams(layer) => 1,001,000` weights, '
            'about 4 MB in float32."\n') in run.stdout, run.stdout
    assert 'unchecked: slides_src/t.md:12 (slide 2): 1000 in "should be about 1000"\n' in run.stdout


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_strict_fails_on_them_in_every_format(project, fmt):
    project.deck(DECK)
    run = run_build(project, "--check", "--strict", "--no-layout", "--format", fmt)
    assert run.returncode == 1, run.stdout + run.stderr
    if fmt == "json":
        data = json.loads(run.stdout)
        assert data["ok"] is False and len(data["decks"][0]["unchecked"]) == 4
        assert {p["kind"] for p in data["decks"][0]["problems"]} == {"unchecked"}
    elif fmt == "github":
        annotation = "::error file=slides_src/t.md,line=17,title=slide 2::number on the slide not checked: 3 × 3"
        assert annotation in run.stdout
    else:
        assert "error: slides_src/t.md:12 (slide 2): number on the slide not checked: 1000" in run.stderr


def test_check_strict_in_the_front_matter_or_the_course_file(project):
    report = check(project, DECK.replace("lang: en\n", "lang: en\ncheck: strict\n"))
    assert [p.kind for p in report.problems] == ["unchecked"] * 4
    project.write("slides_src/_course.yml", "check: strict\n")
    report = check(project, DECK, name="u")
    assert len(report.problems) == 4 and report.problems[0].location.line == 12
    marked = (DECK.replace("- 3", "- {# typed #}3").replace("about 4 MB", "about {# typed #} 4 MB")
              .replace("about 1000", "about {# typed: a round figure #}1000"))
    assert check(project, marked, name="v").problems == []


def test_a_bad_check_value_is_a_source_error(project):
    from deck.errors import SourceError

    with pytest.raises(SourceError, match=r"t.md:4: front matter: check has a bad value True \(expected `strict`\)"):
        check(project, DECK.replace("lang: en\n", "lang: en\ncheck: yes\n"))


def test_without_strict_the_check_passes(project):
    assert check(project, DECK).problems == [] and check(project, DECK, strict=True).problems


@pytest.mark.parametrize("text", [
    "ResNet50 and ResNet-50, VGG 16, Conv2d, Conv3d, float32, 3D, n°2, Recap' 3, slide 4, Python 3.11",
    "version 1.2.3, v2, torch 2.4, 2024-10-25, 25/10/2024, October 25, 2024, le 25 octobre, en 2017",
    "Figure 2, table 3, exercice 4, étape 2, partie 1, section 5, § 3, #12",
])
def test_names_labels_dates_and_versions_are_not_quantities(text):
    assert numbers_in(text) == []


def test_quantities_are(text="a 3 × 3 kernel, 64 channels, 524 800 weights, 1,5 Go, ~ 250 M, 86 %, 2.5e-4"):
    assert numbers_in(text) == ["3 × 3", "64", "524 800", "1,5 Go", "~ 250 M", "86 %", "2.5e-4"]


def test_formula_constants_code_notes_figures_list_numbers_and_headings_are_out_of_scope(project):
    report = check(project, """\
---
title: T
lang: en
---
# 1. Introduction

1. first, with $\\frac{1}{N} \\sum_{i=1}^{N} x_i^2 + \\beta_1$ math and `conv(3, 64)` code
2. second

```python
x = conv(3, 64)  # (8, 64, 30, 30)
```

::: notes
Say 42 here.
:::
""")
    assert report.unchecked == [] and report.problems == []


def test_a_comment_that_looks_like_a_formula_but_cannot_be_read_is_reported(project):
    project.deck("""\
---
title: T
lang: en
---
# Output size

```{python}
#| output: comment
n, k, p, s = 6, 3, 1, 2
(n + 2 * p - k) // s + 1   # ⌊(n + 2p − k) / s⌋ + 1 = 3
(n + 2 * p - k) // s + 1   # (6 + 2 - 3) / 2 + 1 = 3 pixels wide
```
""")
    run = run_build(project, "--check", "--no-layout")
    assert run.returncode == 0, run.stderr
    assert ("warning: slides_src/t.md:10 (slide 2): not read as a claim: ⌊(n + 2p − k) / s⌋ + 1 = 3 "
            "(k, n, p, s: names where numbers are expected)\n") in run.stderr
    assert ("warning: slides_src/t.md:11 (slide 2): not read as a claim: (6 + 2 - 3) / 2 + 1 = 3 pixels wide "
            "(pixels, wide: names where numbers are expected)\n") in run.stderr


def test_a_table_cell_is_located_at_its_row_and_a_loop_row_can_be_marked(project):
    table = """\
---
title: T
lang: en
sizes: [32, 16]
---
# Table

| level | grid |
|---|---|
| one | 256 |
{% for s in sizes %}
| x {MARK}| {{ s }} |
{% endfor %}
"""
    report = check(project, table.replace("{MARK}", ""))
    assert [(u.location.line, u.number) for u in report.unchecked] == [(10, "256"), (12, "32"), (12, "16")]
    report = check(project, table.replace("{MARK}", "{# typed #}"), name="u")
    assert [(u.location.line, u.number) for u in report.unchecked] == [(10, "256")]
    # first on its line, the mark would take the line's location with it (templating.add_markers):
    # the mark belongs next to the number


@pytest.mark.parametrize("math, listed", [
    (r"$3 \times 3 \times 3 \times 64 + 64 = 1792$", "3 × 3 × 3 × 64 + 64 = 1792"),  # a count typed in math
    (r"$\lfloor (224 + 2 \times 3 - 7) / 2 \rfloor + 1 = 112$", "⌊(224 + 2 × 3 - 7) / 2⌋ + 1 = 112"),
    (r"$\eta = 10^{-3}$", "10⁻³"),                       # a value given to a symbol
    (r"$$2^{10} = 1024$$", "2¹⁰ = 1024"),                  # display math too
])
def test_numbers_typed_in_math_are_listed(project, math, listed):
    """Math was out of scope as a whole: a weight count typed as `$... = 1792$` was neither checked
    nor listed, and `--check --strict` said "0 numbers on slides not checked"."""
    report = check(project, f"---\ntitle: T\nlang: en\n---\n# A\n\nThe layer:\n\n{math}\n", strict=True)
    assert [u.number for u in report.unchecked] == [listed]
    assert report.unchecked[0].location.line == 9


def test_a_number_in_a_claims_remark_is_listed(project):
    """`# 1,001,000 (for 16 images)` checks its value; the 16 was checked by nothing and said by
    nothing ("0 numbers on slides not checked")."""
    report = check(project, """
        ---
        title: T
        ---
        # S
        ```{python}
        #| output: comment
        import torch.nn as nn
        layer = nn.Linear(1000, 1000)
        nparams(layer)   # 1,001,000 (for 16 images)
        layer.in_features  # 1000 (one per input)
        ```
        """)
    assert report.problems == [] and report.claims == 2
    [unchecked] = report.unchecked
    assert (unchecked.location.line, unchecked.number) == (9, "16")
    assert str(unchecked).endswith('16 in the remark "(for 16 images)" after the claim\'s value, which no claim checks')
