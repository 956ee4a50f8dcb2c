"""Exports of an executed deck besides its HTML and PDF: the students' notebook (`notebook.py`, run by
`kernel.py` in Jupyter) and the colleagues' PowerPoint (`powerpoint.py`, figures rasterised by
`raster.py`). The pipeline calls `write_exports` once per deck where it gathers the files to publish:
what it returns is published with them, together or not at all."""
from __future__ import annotations

from pathlib import Path

from ..document import Deck


def wanted(options) -> list[tuple[str, bool]]:
    """The exports a build writes for each deck, as (kind, student): `--ipynb`, `--pptx` (with
    `--student`: the student versions), or the course's three."""
    if options.course:
        return [("ipynb", False), ("ipynb", True), ("pptx", False)]
    return [(kind, options.student) for kind in ("ipynb", "pptx") if getattr(options, kind, False)]


def write_exports(deck: Deck, options, out_dir: Path, warn=None) -> dict[Path, bytes]:
    """The export files of the executed `deck` the build's options ask for, as bytes to publish
    (`<deck>.ipynb`, `<deck>-student.ipynb`, `<deck>.pptx`, `<deck>-student.pptx`). `warn(message)`
    hears, once per deck, of slide elements an export cannot carry."""
    from ..claims.exercises import student_version

    files: dict[Path, bytes] = {}
    for kind, student in wanted(options):
        shown = student_version(deck) if student else deck
        name = out_dir / f"{deck.name}{'-student' if student else ''}.{kind}"
        if kind == "ipynb":
            from .notebook import notebook_bytes

            files[name] = notebook_bytes(deck, shown, student, options.project_root)
        else:
            from .powerpoint import pptx_bytes

            files[name] = pptx_bytes(shown, options.project_root, warn)
    return files
