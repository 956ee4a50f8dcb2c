"""The project's own habits, run by the suite (so by CI): ruff and mypy with the configuration in
pyproject.toml, and the size bound of issue 19 on deck's functions (figures' drawing code apart)."""
import ast
import subprocess
import sys

import pytest
from helpers_for_tests import ROOT


def test_ruff_finds_nothing():
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.slow
def test_mypy_finds_nothing():
    run = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_function_in_deck_is_longer_than_60_lines():
    # complexity (at most 20) is ruff's C901, configured in pyproject.toml
    long = []
    for path in sorted((ROOT / "deck").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > 60:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {lines} lines")
    assert not long, "\n".join(long)
