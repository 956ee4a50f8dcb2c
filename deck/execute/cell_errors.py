"""What a failing cell says: where it failed (the line of the cell, not deck's frames), its traceback
from the cell's frame down, and the hints for the mistakes a lecturer makes (a bare figure name, a
`meta: true` cell that needs real values)."""
from __future__ import annotations

import traceback

from ..document import Cell, InlineExpr
from ..errors import CellError, Location
from .outputs import NotShowable


def meta_hint(raised: BaseException, meta: bool) -> str:
    """What to do when a model cannot be built on the meta device (its initialisation reads values,
    as torchvision's RegNet does)."""
    if meta and "meta tensor" in str(raised):
        return (" (this code needs real values, which a `meta: true` cell does not have: build the model "
                "in a cell without `meta: true` first; a later `meta: true` cell sees its meta copy)")
    return ""


def figures_hint(raised: BaseException) -> str:
    """A figure builder called by its bare name, as the README's table lists them (`conv_illustration(...)`):
    the deck imports the module, `figures`, not its names."""
    import figures

    name = getattr(raised, "name", None)
    if isinstance(raised, NameError) and isinstance(name, str) and name in getattr(figures, "__all__", ()):
        return f" (`{name}` is one of deck's figures: write `figures.{name}(...)`)"
    return ""


_JINJA_NAME = (" (`{py}` sees the names the cells defined; a Jinja variable, from "
               "{% set %}, {% for %} or _course.yml, is written {{ name }})")


def raised_message(what: str, raised: BaseException, *, meta: bool = False, inline: bool = False) -> str:
    """`<what> raised <type>: <message>` of a cell (`meta`: its `meta: true` option) or an inline
    expression (`inline`), with the hints for the lecturer's mistakes."""
    jinja = _JINJA_NAME if inline and isinstance(raised, NameError) else ""
    hint = meta_hint(raised, meta) + (figures_hint(raised) or jinja)
    return f"{what} raised {type(raised).__name__}: {raised}{hint}"


def line_location(cell: Cell, lineno: int | None) -> Location:
    i = min(max((lineno or 1) - 1, 0), len(cell.lines) - 1)
    return cell.lines[i]


def raise_location(cell: Cell, exc: BaseException, filename: str | None) -> Location:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line_location(cell, line)


def escaped(item: Cell | InlineExpr, exc: BaseException) -> CellError:
    """An exception that got past a cell's own error handling: the cell exited (`sys.exit()`,
    `exit()`), raised KeyboardInterrupt, or its value failed to show itself (`_repr_svg_`, `__repr__`).
    A located cell error, with the whole traceback: never the build's silent end."""
    filename = f"<deck cell {item.index}>" if isinstance(item, Cell) else None
    frames = [f.filename for f in traceback.extract_tb(exc.__traceback__)]
    detail = cell_traceback(exc, filename) if filename in frames else \
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-12:]).rstrip()
    if isinstance(item, Cell):
        what, where = "cell", raise_location(item, exc, filename)
    else:
        what, where = f"inline expression `{item.expr}`", item.location
    if isinstance(exc, SystemExit):
        return CellError(f"{what} called exit (SystemExit: {exc.code}): a cell must not end the build", where, detail)
    if isinstance(exc, NotShowable):  # deck's check of what the value gave: deck's frames say nothing
        return CellError(f"the value the {what} shows cannot be drawn: {exc}", where)
    return CellError(f"{what} raised {type(exc).__name__}: {exc}", where, detail)


def cell_traceback(exc: BaseException, filename: str) -> str:
    """The traceback from the cell's frame down, without deck's own frames above it."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    return "".join(lines[-12:]).rstrip()
