"""Under `output: comment`, a line whose value is a handle (an object with no value of its own to
show: the Generator `torch.manual_seed(0)` returns) gets no result comment; values still do."""
from __future__ import annotations

import textwrap

from deck.pipeline import BuildOptions, build_deck

SOURCE = '''
---
title: Commentaires
lang: fr
---
# Graines

```{python}
#| output: comment
import torch
torch.manual_seed(0)
x = torch.ones(3)
x.sum()
class Poignee: pass
Poignee()
```
'''


def test_handles_get_no_comment(tmp_path):
    source = tmp_path / "slides_src" / "commentaires.md"
    source.parent.mkdir()
    source.write_text(textwrap.dedent(SOURCE).lstrip(), encoding="utf-8")
    report = build_deck(source, BuildOptions(project_root=tmp_path, out_dir=tmp_path / "build", pdf=False))
    assert not report.problems
    (cell,) = [c for c in report.deck.cells if "manual_seed" in c.code]
    lines = cell.display.split("\n")
    assert lines[lines.index("torch.manual_seed(0)")] == "torch.manual_seed(0)"  # no "# <torch._C.Generator…>"
    assert "Poignee()" in lines  # nor "# <Poignee object>"
    assert any(line.startswith("x.sum()") and line.rstrip().endswith("# 3") for line in lines)
