"""A cached slide keeps the overflows page_fit found in its layout, so its key follows page_fit's code:
after a deck upgrade that changes the page-fit check, a --check lays the slides out again instead of
reporting what the old check found (a fixed false alarm stayed until --no-cache)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import deck

KEY = "from deck.render.pdf import engine_key; print(engine_key())"


def _key(root: Path) -> str:
    return subprocess.run([sys.executable, "-c", KEY], cwd=root, env={"PYTHONPATH": str(root), "HOME": str(root)},
                          capture_output=True, text=True, check=True).stdout.strip()


def test_the_slide_pdf_key_changes_with_page_fits_code(tmp_path):
    package = Path(deck.__file__).resolve().parent
    same, edited = tmp_path / "same", tmp_path / "edited"
    for root in (same, edited):
        shutil.copytree(package, root / "deck", ignore=shutil.ignore_patterns("__pycache__"))
    fit = edited / "deck" / "render" / "page_fit.py"
    fit.write_text(fit.read_text(encoding="utf-8").replace("TOLERANCE = 0.5", "TOLERANCE = 0.75"), encoding="utf-8")
    assert _key(same) == _key(same)  # the same code, the same key
    assert _key(same) != _key(edited)
