"""An inline expression must only read: one that changes the namespace is a located error, not a value
that depends on whether it came from the cache."""
from __future__ import annotations

import pytest

from deck.errors import CellError
from deck.pipeline import build_deck

FRONT = "---\ntitle: T\n---\n"


@pytest.mark.parametrize("expr", ["L.append(1) or len(L)", "d.update(a=1) or len(d)", "t.add_(1).sum()",
                                  "torch.nn.init.zeros_(m.weight).sum()"])
def test_an_inline_expression_that_changes_state_is_refused_at_its_line(project, expr):
    source = project.deck(f"{FRONT}# A\n```{{python}}\nimport torch\nL, d = [], {{}}\nt = torch.zeros(2)\n"
                          f"m = torch.nn.Linear(2, 2)\n```\n\nthen `{{py}} {expr}` here\n")
    report = build_deck(source, project.options(check=True, layout=False))
    [problem] = report.problems
    assert isinstance(problem, CellError) and problem.location.line == 12
    assert problem.message.startswith(f"inline expression `{expr}` changes the namespace")


def test_reading_expressions_are_fine(project):
    source = project.deck(f"{FRONT}# A\n```{{python}}\nimport torch\nL = [1, 2]\nconv = torch.nn.Conv2d(1, 2, 3)\n"
                          "x = torch.zeros(1, 1, 8, 8)\n```\n\n`{py} len(L)`, `{py} conv(x).shape[-1]`, "
                          "`{py} nparams(torch.nn.Linear(3, 4))`\n")
    assert build_deck(source, project.options(check=True, layout=False)).problems == []
