"""Byte-identical builds: twice in a row, and from two different checkouts (paths)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_for_tests import ROOT

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


def build_in(folder: Path, env_extra: dict | None = None) -> tuple[bytes, bytes]:
    (folder / "slides_src").mkdir(parents=True, exist_ok=True)
    (folder / "slides_src" / "r.md").write_text(SOURCE, encoding="utf-8")
    env = {**os.environ, "DECK_CACHE_DIR": str(folder / "cache"), **(env_extra or {})}
    env.pop("SOURCE_DATE_EPOCH", None) if not env_extra else None
    run = subprocess.run([sys.executable, str(ROOT / "build.py")], cwd=folder, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = folder / "build"
    return (out / "r.html").read_bytes(), (out / "r.pdf").read_bytes()


@pytest.mark.slow
def test_same_bytes_twice_and_from_another_checkout(tmp_path):
    first = build_in(tmp_path / "checkout-a")
    second = build_in(tmp_path / "checkout-a")          # again, now from the cache
    other = build_in(tmp_path / "somewhere" / "else")   # another path, cold cache
    assert first == second == other
    html, pdf = first
    assert str(tmp_path).encode() not in html and str(tmp_path).encode() not in pdf
    assert b"CreationDate" not in pdf


@pytest.mark.slow
def test_source_date_epoch_is_honoured(tmp_path):
    a = build_in(tmp_path / "a", {"SOURCE_DATE_EPOCH": "1700000000"})
    b = build_in(tmp_path / "b", {"SOURCE_DATE_EPOCH": "1700000000"})
    assert a == b
    import io

    from pypdf import PdfReader

    assert PdfReader(io.BytesIO(a[1])).metadata["/CreationDate"].startswith("D:20231114221320")
    assert "/CreationDate" not in PdfReader(io.BytesIO(build_in(tmp_path / "c")[1])).metadata
