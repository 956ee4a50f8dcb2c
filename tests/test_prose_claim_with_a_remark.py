"""A prose claim may end with a remark, as a result comment does (README: "a value may be followed by
a remark in parentheses or after two spaces"): `{py} memory(x) => 4,2 Mo (par lot)` states 4,2 Mo.
It was a false claim ("is 4,19 Mo, not 4,2 Mo (par lot)") however true its value; a false one is
fixed in its value alone, the remark kept."""
import textwrap
from pathlib import Path

from deck.claims.fix import fix_sources
from deck.pipeline import BuildOptions, build

HEADER = """\
---
title: T
lang: fr
---

# Mémoire

```{python}
#| echo: false
import torch
x = torch.zeros(16, 16, 64, 64)
```

"""

DECK = HEADER + """\
- Un lot pèse `{py} memory(x) => 4,2 Mo (par lot)`.
- Soit `{py} memory(x) => 4 Mio  en binaire`.
- Faux : `{py} memory(x) => 4,3 Mo (par lot)`.
"""


def check(root: Path):
    [report] = build(BuildOptions(project_root=root, check=True, layout=False, cache=False, pdf=False))
    return report


def test_a_prose_claim_may_end_with_a_remark(tmp_path):
    path = tmp_path / "slides_src" / "t.md"
    path.parent.mkdir()
    path.write_text(textwrap.dedent(DECK), encoding="utf-8")
    report = check(tmp_path)
    assert [str(p).splitlines()[0] for p in report.problems] == [
        "slides_src/t.md:16 (slide 2): claim is false: `memory(x)` is 4,19\u00a0Mo, not 4,3 Mo"]
    assert fix_sources([report], tmp_path, read=None)[1:] == (1, [])
    assert "- Faux : `{py} memory(x) => 4,2 Mo (par lot)`.\n" in path.read_text(encoding="utf-8")
    assert not check(tmp_path).problems


ONE_SPACE = HEADER + """\
- Un lot pèse `{py} memory(x) => 4,2 Mo par lot`, soit `{py} x.numel() => 1 million de valeurs par lot`.
- Faux : `{py} memory(x) => 4,3 Mo par lot`.
- Avec un nombre : `{py} memory(x) => 4,2 Mo pour 16 images`.
- Entre parenthèses : `{py} memory(x) => 4,2 Mo (pour 16 images)`.
"""


def test_in_prose_a_remark_of_words_may_follow_one_space(tmp_path):
    """As a lecturer writes it: `=> 4,2 Mo par lot` states 4,2 Mo (it was false, "not 4,2 Mo par lot",
    with no reason). A remark holding a number stays part of the claim: false, saying why, and left
    to the lecturer by --fix, which used to write `4,2 Mo` over the whole of it."""
    path = tmp_path / "slides_src" / "t.md"
    path.parent.mkdir()
    path.write_text(ONE_SPACE, encoding="utf-8")
    report = check(tmp_path)
    assert [str(p).splitlines()[0] for p in report.problems] == [
        "slides_src/t.md:15 (slide 2): claim is false: `memory(x)` is 4,19\u00a0Mo, not 4,3 Mo",
        "slides_src/t.md:16 (slide 2): claim is false: `memory(x)` is 4,19\u00a0Mo, not 4,2 Mo pour 16 images: "
        "only `4,2 Mo` reads as a value, and the words after it hold a number (`pour 16 images`) that no claim "
        "checks: end the claim after the value and write the rest after the closing backquote",
        "slides_src/t.md:17 (slide 2): claim is false: `memory(x)` is 4,19\u00a0Mo, not 4,2 Mo (pour 16 images): "
        "only `4,2 Mo` reads as a value, and the words after it hold a number (`(pour 16 images)`) that no claim "
        "checks: end the claim after the value and write the rest after the closing backquote"]
    assert fix_sources([report], tmp_path, read=None)[1:2] == (1,)
    text = path.read_text(encoding="utf-8")
    assert "- Faux : `{py} memory(x) => 4,2 Mo par lot`.\n" in text
    assert "`{py} memory(x) => 4,2 Mo pour 16 images`" in text  # untouched
    assert "`{py} memory(x) => 4,2 Mo (pour 16 images)`" in text
    assert all("pour 16 images" in str(p) for p in check(tmp_path).problems)


def test_a_text_value_that_starts_with_a_number_is_claimed_whole(tmp_path):
    path = tmp_path / "slides_src" / "t.md"
    path.parent.mkdir()
    path.write_text("---\ntitle: T\n---\n# S\n```{python}\nname = '3 channels RGB'\n```\n"
                    "It reads `{py} name => 3 channels RGB`.\n", encoding="utf-8")
    assert not check(tmp_path).problems
