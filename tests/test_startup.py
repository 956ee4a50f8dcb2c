"""Fast start-up: heavy modules are imported only on the paths that need them."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers_for_tests import ROOT

PROBE = """
import json, sys
sys.path.insert(0, {root!r})
from deck.cli import main
code = main({args!r})
print(json.dumps({{"code": code, "mods": sorted(m for m in ("weasyprint", "torch", "matplotlib", "ziamath") if m in sys.modules)}}))
"""


def imported(project, *args) -> dict:
    run = subprocess.run([sys.executable, "-c", PROBE.format(root=str(ROOT), args=list(args))],
                         cwd=project.root, capture_output=True, text=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


DECK = "---\ntitle: T\n---\n# S\n```{python}\n#| output: comment\n1 + 1\n```\nand `{py} 2 * 3` and $x^2$\n"


@pytest.mark.slow
def test_check_without_layout_and_html_only_never_import_weasyprint(project):
    project.deck(DECK)
    assert imported(project, "--check", "--no-layout")["mods"] == ["ziamath"]  # drawing the math
    assert imported(project, "--check", "--no-layout")["mods"] == []  # math SVG now cached
    assert "weasyprint" not in imported(project, "--html-only")["mods"]
    assert "weasyprint" in imported(project)["mods"]


@pytest.mark.slow
def test_warm_rebuild_imports_neither_torch_nor_weasyprint_for_html(project):
    project.deck(DECK.replace("1 + 1", "import torch\ntorch.zeros(2).numel()"))
    assert "torch" in imported(project, "--html-only")["mods"]
    warm = imported(project, "--html-only")
    assert warm["code"] == 0 and "torch" not in warm["mods"] and "weasyprint" not in warm["mods"]
