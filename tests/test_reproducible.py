"""Byte-identical builds: twice in a row, and from two different checkouts (paths)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers_for_tests import ROOT, run_build
from test_pdf_slides import DECK

SOURCE = """---
title: Reproducible
author: A. Lecturer
date: 2024-10-25
lang: fr
---
# Everything that could vary

- math $\\sum_i w_i x_i$, a number `{py} 524800`, a figure:

```{python}
#| output: comment
from matplotlib.figure import Figure
import torch
fig = Figure(figsize=(3, 2)); fig.add_subplot().plot(torch.linspace(0, 1, 5))
shape(torch.zeros(2, 3))
fig
```

::: notes
notes
:::
"""


SLIDES_DECK = DECK


def build_in(folder: Path, env_extra: dict | None = None, cache: Path | None = None,
             fresh: bool = True) -> dict[str, bytes]:
    """`python build.py` with a bare environment: its own HOME (so its own cache key), no
    SOURCE_DATE_EPOCH unless given; in a new interpreter if `fresh` (reproducibility across
    processes: hash seeds, import order), else forked from the tests' build process (what varies is
    the environment or the cache, not the interpreter). Two decks: the one above, and one of several
    slides in steps (its PDF is made of slide PDFs, cached or not)."""
    (folder / "slides_src").mkdir(parents=True, exist_ok=True)
    (folder / "slides_src" / "r.md").write_text(SOURCE, encoding="utf-8")
    (folder / "slides_src" / "t.md").write_text(SLIDES_DECK, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "DECK_OFFLINE": "1", "HOME": str(folder.parent / "home"),
           "DECK_CACHE_DIR": str(cache or folder / "cache"), **(env_extra or {})}
    if fresh:
        run = subprocess.run([sys.executable, str(ROOT / "build.py")], cwd=folder, env=env,
                             capture_output=True, text=True)
    else:
        run = run_build(SimpleNamespace(root=folder), environment=env)
    assert run.returncode == 0, run.stderr
    return {p.name: p.read_bytes() for p in sorted((folder / "build").glob("[rt].*"))}


@pytest.mark.slow
def test_same_bytes_twice_and_from_another_checkout(tmp_path):
    first = build_in(tmp_path / "checkout-a")
    second = build_in(tmp_path / "checkout-a", fresh=False)  # again, from the cache (cells, slide PDFs)
    other = build_in(tmp_path / "somewhere" / "else")   # another path, cold cache
    assert {"r.html", "r.pdf", "t.html", "t.pdf", "r.ipynb", "r.pptx"} <= set(first)
    assert first == second == other
    for data in first.values():
        assert str(tmp_path).encode() not in data
    assert b"CreationDate" not in first["r.pdf"]


@pytest.mark.slow
def test_source_date_epoch_is_honoured(tmp_path):
    import io

    from pypdf import PdfReader

    dated = {"SOURCE_DATE_EPOCH": "1700000000"}
    a = build_in(tmp_path / "a", dated, fresh=False)
    b = build_in(tmp_path / "b", dated, cache=tmp_path / "a" / "cache", fresh=False)  # from a's cache, elsewhere
    assert a == b
    undated = build_in(tmp_path / "c", cache=tmp_path / "a" / "cache", fresh=False)
    for pdf in ("r.pdf", "t.pdf"):  # t's from slide PDFs: none cached by a dated build carries its date
        assert PdfReader(io.BytesIO(a[pdf])).metadata["/CreationDate"].startswith("D:20231114221320")
        assert "/CreationDate" not in PdfReader(io.BytesIO(undated[pdf])).metadata
