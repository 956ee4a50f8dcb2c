"""Decks built once for the whole session (HTML and PDF), for the tests that look at them: the
flagship, and a small deck in each theme that holds every element a slide can show.

Registered in conftest.py. Each build goes to a session folder; cells share the session's cache.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers_for_tests import ROOT

THEMES = ("default", "meteofrance")

#: every element of a slide, in the deck's language: prose, lists, a table, shown and live code with
#: result comments, an exercise, callouts, lines lit step by step, printed output, an error, a
#: figure, a cell's HTML table
SMALL_DECK = '''
---
title: Lecture-hall check
subtitle: Every element of a slide
author: A. Lecturer
place: ENM
date: 2025-01-15
lang: fr
theme: {theme}
institution: [République, Française]
motto: Liberté Égalité Fraternité
organisation: Météo France
tagline: À vos côtés, dans un climat qui change
---
```{{python}}
#| echo: false
import torch
import torch.nn as nn
import matplotlib.pyplot as plt


class Summary:
    def _repr_html_(self):
        return ("<table><caption>Résumé</caption><tr><th>Couche</th><th>Poids</th></tr>"
                "<tr><td>fc</td><td>10</td></tr><tr><td>conv</td><td>80</td></tr></table>")
```

# Texte, listes et tableau

Du texte avec *italique*, **gras**, `code` et [un lien](https://pytorch.org).

- premier niveau
- encore un
  - second niveau

| couche | poids |
|---|---:|
| `nn.Linear(4, 2)` | `{{py}} nparams(nn.Linear(4, 2))` |

---

# Du code montré

```python
from torch import nn  # un commentaire

@dataclass
class Net(nn.Module):
    """Une docstring."""
    def size(self, n: int = 3) -> float:
        return len("abc") + 0x1F * 2.5 if n is not None else None
```

---

# Valeurs calculées

```{{python}}
#| output: comment
#| meta: true
#| callouts: {{"32": "Taille du batch"}}
fc = nn.Linear(1024, 512)
x = torch.randn(32, 1024)
shape(fc(x))    # (32, 512)
nparams(fc)     # Nb de poids :
```

Soit `{{py}} formula(fc)` poids.

---

# Exercice

```{{python}}
#| output: comment
#| meta: true
conv = nn.Conv1d(2, 16, kernel_size=5, padding=2, stride=4, bias=False)
nparams(conv)    # Nb de poids : ?
shape(conv(torch.randn(8, 2, 10201)))   # ( ... )
```

---

# Pas à pas

```{{python}}
#| output: comment
#| meta: true
#| code-steps: "|1|2-3"
layer = nn.Linear(8, 4)
h = torch.randn(2, 8)
shape(layer(h))   # (2, 4)
```

---

# Sortie et erreur

```{{python}}
print("forme :", tuple(fc(x).shape))
```

```{{python}}
#| raises: RuntimeError
nn.Conv3d(1, 32, kernel_size=3)(torch.randn(32, 60, 64, 64))
```

---

# Une figure

Une phrase au-dessus de la figure.

```{{python}}
#| echo: false
fig, ax = plt.subplots(figsize=(6, 2.5))
_ = ax.plot([0, 1, 2], [0, 1, 0])
```

---

# Un tableau calculé

```{{python}}
#| echo: false
Summary()
```
'''


@dataclass
class Built:
    """A deck built into `out`: its report (the executed deck inside), its HTML and its PDF."""

    report: object
    html: Path
    pdf: Path

    @property
    def deck(self):
        return self.report.deck


def build(source: Path, project_root: Path, out: Path) -> Built:
    from deck.pipeline import BuildOptions, build_deck

    report = build_deck(source, BuildOptions(project_root=project_root, out_dir=out))
    assert not report.problems, [str(p) for p in report.problems]
    layout = [w for w in report.warnings if "does not fit" in w]
    assert not layout, layout
    return Built(report, out / f"{source.stem}.html", out / f"{source.stem}.pdf")


@pytest.fixture(scope="session")
def built_flagship(tmp_path_factory) -> Built:
    """slides_src/recap2_convnets.md, built."""
    return build(ROOT / "slides_src" / "recap2_convnets.md", ROOT, tmp_path_factory.mktemp("flagship"))


@pytest.fixture(scope="session")
def built_small_decks(tmp_path_factory) -> dict[str, Built]:
    """The small deck above in each theme, built: {theme: Built}."""
    built = {}
    for theme in THEMES:
        root = tmp_path_factory.mktemp(f"small-{theme}")
        source = root / "slides_src" / f"small_{theme}.md"
        source.parent.mkdir()
        source.write_text(textwrap.dedent(SMALL_DECK).lstrip().format(theme=theme), encoding="utf-8")
        built[theme] = build(source, root, root / "build")
    return built
