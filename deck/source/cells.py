"""Code fences of a slide: live cells (```{python}) with their `#| key: value` options, shown code."""
from __future__ import annotations

import re

from ..document import Cell, Slide
from ..errors import Location, SourceError
from ..options import CellOptions, cell_option

LIVE_INFO = re.compile(r"^\{(\w+)\}\s*$")


def make_cell(tok, slide: Slide) -> Cell:
    info = tok.info.strip()
    m = LIVE_INFO.match(info)
    live = bool(m)
    lang = (m.group(1) if m else info.split()[0] if info else "text").lower()
    first = (tok.map[0] + 1) if tok.map else 0  # first code line (after the opening fence)
    raw_lines = tok.content.split("\n")
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()
    locs = [_at(slide.lines, first + k, slide.index) for k in range(max(len(raw_lines), 1))]
    option_lines: dict[str, Location] = {}
    options, n_opt = parse_options(raw_lines, locs, option_lines) if lang == "python" else (_shown_only(), 0)
    if lang == "python" and not live:
        if n_opt:
            raise SourceError("cell options (#|) need a live cell: write ```{python}", locs[0])
        options.eval = False
    if live and lang != "python":
        raise SourceError(f"only Python cells can run, not {lang!r}", _at(slide.lines, tok.map[0] if tok.map else 0, slide.index))
    code = "\n".join(raw_lines[n_opt:])
    cell = Cell(code, lang, options, live, locs[n_opt:] or locs[-1:], step=tok.meta.get("step", 1),
                option_lines=option_lines)
    tok.meta["cell"] = cell
    return cell


def _shown_only() -> CellOptions:
    opts = CellOptions()
    opts.eval = False
    return opts


def parse_options(lines: list[str], locs: list[Location],
                  option_lines: dict[str, Location] | None = None) -> tuple[CellOptions, int]:
    """Read the `#| key: value` lines at the top of a cell (YAML values), checked against the table."""
    opts = CellOptions()
    n = 0
    while n < len(lines) and lines[n].lstrip().startswith("#|"):
        n += 1
    for k in range(n):
        text = lines[k].lstrip()[2:].strip()
        if not text:
            continue
        key, colon, raw = text.partition(":")
        key = key.strip()
        if not colon or not key or " " in key:
            raise SourceError(f"bad cell option {text!r}: write '#| key: value'", locs[k])
        option = cell_option(key, locs[k])
        setattr(opts, option.attr, option.check(option.parse(raw), locs[k]))
        if option_lines is not None:
            option_lines[option.attr] = locs[k]
    return opts, n


def _at(locs: list[Location], i: int, slide: int) -> Location:
    base = locs[min(max(i, 0), len(locs) - 1)]
    return Location(base.path, base.line, slide)
