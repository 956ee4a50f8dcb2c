"""The estimate that lets code grow (page_fit.code_sizes) measures prose with the theme font's own
advances and wraps it at the content width: a slide of two short cells, a few lines of prose, a
pause and an answer grows its code (it kept 18 px with a third of the page empty), and slides whose
prose nearly fills the page (long words, bold, lists, French accents) still pass the layout check."""
from __future__ import annotations

import re

from deck.pipeline import build_deck

HEAD = """---
title: Fit
lang: fr
---
"""

LECTURER = """
# Deux cellules et une réponse

On mesure la moyenne d'un petit vecteur, puis son écart-type.

```{python}
x = [2.0, 4.0, 9.0]
sum(x) / len(x)
```

. . .

Et l'écart à la moyenne ?

```{python}
m = sum(x) / len(x)
[v - m for v in x]
```

::: answer
Les écarts somment à zéro : c'est la définition de la moyenne.
:::
"""

# prose styles an estimate can get wrong: accents and non-breaking punctuation, bold (wider),
# words longer than a line's remainder, nested lists (narrower lines)
PROSE = {
    "accents": "Évidemment, la différence entre l'entraînement et l'évaluation réside où ? "
               "Là : « dropout » désactivé, moyennes figées ; résultats déterministes.",
    "bold": "**Attention : la normalisation par lot change de comportement en évaluation**, "
            "et **les statistiques courantes** remplacent celles du lot.",
    "long": "Anticonstitutionnellement, l'intercompréhensibilité des hyperparamétrisations "
            "désynchronisées reste incompréhensiblement problématique.",
}


def slide(k: int, style: str) -> str:
    if style == "list":
        body = "\n".join(f"- Point {i} : une phrase assez longue pour passer à la ligne sur la page"
                         f"\n    - détail imbriqué {i}, plus étroit" for i in range(k)) + "\n"
    else:
        body = "\n\n".join([PROSE[style]] * k) + "\n"
    return f"""
# {style} {k}

{body}
```{{python}}
y = [1, 2, 3]
sum(y)
```
"""


def grown(html: str) -> list[tuple[str, float]]:
    """(slide title, grown code size or 18) of each slide with a cell."""
    out = []
    for sec in re.split(r"<section", html)[1:]:
        title = re.search(r'slide-title[^>]*>(.*?)</h2>', sec, re.S)
        if title is None or "<pre" not in sec:
            continue
        size = re.search(r"--code-grown: ([\d.]+)px", sec)
        out.append((re.sub("<[^>]+>", "", title.group(1)).strip(), float(size.group(1)) if size else 18.0))
    return out


def test_prose_nearly_filling_the_page_grows_no_code_past_it(project):
    slides = [LECTURER] + [slide(k, style) for style in ("accents", "bold", "long", "list") for k in range(1, 7)]
    path = project.deck(HEAD + "\n---\n".join(slides), name="fit")
    # layout=True: WeasyPrint lays out the PDF and page_fit.find_overflows reports any slide past its page
    report = build_deck(path, project.options(decks=[str(path)], layout=True))
    assert not report.problems, report.problems
    sizes = dict(grown((project.root / "build" / "fit.html").read_text(encoding="utf-8")))
    assert "Deux cellules et une réponse" in sizes  # its pause and answer are measured, not refused
    for style in ("accents", "bold", "long", "list"):
        row = [sizes[f"{style} {k}"] for k in range(1, 7)]
        assert row == sorted(row, reverse=True)  # more prose, never larger code
        assert row[0] == 30  # one paragraph: room for body-size code
        assert row[1] > 18  # two paragraphs leave room too (0.56 em a character, unwrapped, said 18)
        assert row[-1] < 30  # the slide fills: code grows less, or not at all
