"""Running a deck's cells and inline expressions in order, in one namespace per deck.

Notebook semantics: a prose expression is evaluated where it stands, after the cells before it;
an expression inside a cell's displayed code after that cell. A later cell that rebinds a name
cannot change an earlier slide because every value is turned into text when it is reached.

As nbclient's client: the settings live on one `Executor`, and observers (the progress display, the
supervisor's breadcrumbs) are hooks it calls, never module globals. The cache is a layer around it
(`cached.py`), deciding which items to run.
"""
from __future__ import annotations

import ast
import contextlib
import linecache
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..claims.compare import holds
from ..claims.exercises import is_blank
from ..claims.grammar import prose_value
from ..claims.result_comments import comment_column, result_comment
from ..claims.verify import Problems, verify, verify_expected_error
from ..document import Cell, Deck, InlineExpr, Output, Replacement, Slide
from ..errors import CellError, DeckError, Location, SourceError
from ..observe import BuildObserver
from ..options import DEFAULT_TIMEOUT
from ..shared.inputs import CellInputs, recording
from ..shared.locale import current_lang
from ..shared.svg import figure_room
from .cell_errors import cell_traceback, escaped, line_location, raise_location, raised_message
from .limits import CellTimeout, Interrupted, time_limit
from .meta_views import meta_views
from .outputs import PrintedText, as_text, capped, figure_svg, rich_output, short_text, strip_addresses
from .process_guard import process_kept
from .snapshot import ProcessState, Session, fresh_libraries, local_modules, project_modules_from_source, random_untouched

CODE_EXPR = re.compile(r"`\{py\}\s*([^`]+?)\s*`")
# deck's own code and figures/ are part of every cache key already: not "the project's modules"
ENGINE = (Path(__file__).resolve().parents[1], Path(__file__).resolve().parents[2] / "figures")


def _plan_figure_rooms(deck: Deck) -> None:
    """Each cell's `room`: the height its slide leaves a figure it shows, estimated before any runs."""
    from ..render.html import split_notes
    from ..render.page_fit import figure_rooms

    theme = deck.front_matter.get("theme", "default")
    for slide in deck.slides:
        rooms = figure_rooms(split_notes(slide.tokens)[0], theme) if slide.cells else {}
        for cell in slide.cells:
            cell.room = rooms.get(cell.index)  # None for a cell in the speaker notes


def new_namespace() -> dict:
    """The namespace cells start from: the helpers for lecture numbers (shape, nparams, ...) and the
    figure builders (`figures`, whose import costs nothing until a builder is used)."""
    import figures

    from . import cell_api

    ns = {"__name__": "__deck__", "__builtins__": __builtins__, "figures": figures}
    ns.update({name: getattr(cell_api, name) for name in cell_api.__all__})
    return ns


class Executor:
    """Runs one deck's items; fills in what the slides show and collects problems."""

    def __init__(self, deck: Deck, *, timeout: float = DEFAULT_TIMEOUT, collect_errors: bool = False,
                 hooks: list[BuildObserver] | tuple = (), project_root: Path | None = None):
        self.deck = deck
        self.lang = deck.lang
        self.timeout = timeout              # default limit of a cell; `#| timeout:` overrides it
        self.problems = Problems(collect_errors=collect_errors)
        self.hooks = list(hooks)
        self.namespace = new_namespace()
        self.project_root = project_root.resolve() if project_root else None
        self.session_state: Session | None = None   # the process as this run found it
        self.started = False                        # a cell ran (or a snapshot was restored)
        self.imported: dict[str, Path] = {}         # the project's modules the last cell imported
        self.inputs = CellInputs()                  # files the last cell's code said it read
        _plan_figure_rooms(deck)

    # --- the whole deck ----------------------------------------------------------------------
    def items(self) -> Iterator[tuple[Slide, Cell | InlineExpr]]:
        """Cells and prose expressions in reading order."""
        return ((s, i) for s in self.deck.slides for i in s.items)

    @contextlib.contextmanager
    def session(self):
        """Around a run: helpers format in the deck's language; the project's own modules are imported
        afresh; afterwards figures are closed and the process is given back as it was."""
        token = current_lang.set(self.lang)
        for name in local_modules(self.project_root, ENGINE):
            del sys.modules[name]  # a warm process must not run an edited module's old code
        self.session_state = Session.now()
        outer = ProcessState.capture(self.session_state)
        try:
            with project_modules_from_source(self.project_root, ENGINE):
                yield
        finally:
            current_lang.reset(token)
            _close_figures()
            if self.started:  # cells ran: what they changed in the process goes
                outer.apply(self.session_state, fresh_libraries())

    def start(self) -> None:
        """Before the first cell runs (or a snapshot is restored): the libraries' settings as a fresh
        process has them, whatever an earlier build in this process left (the warm --watch worker)."""
        if not self.started:
            self.started = True
            assert self.session_state is not None  # set by `session()`, around every run
            fresh_libraries().apply(self.session_state)

    def reset_process(self) -> None:
        """The namespace and the process as they are before the first cell."""
        self.start()
        self.namespace.clear()
        self.namespace.update(new_namespace())
        assert self.session_state is not None  # set by `session()`, around every run
        fresh_libraries().apply(self.session_state)

    def capture_process(self) -> ProcessState:
        assert self.session_state is not None  # set by `session()`, around every run
        return ProcessState.capture(self.session_state)

    def restore(self, process: ProcessState, variables: bytes) -> None:
        """The process and the namespace as a snapshot recorded them (the process first: unpickling the
        variables may import modules from the folder or paths the cells set). Raises if they cannot."""
        import pickle

        self.start()
        assert self.session_state is not None  # set by `session()`, around every run
        process.apply(self.session_state, fresh_libraries())
        values = pickle.loads(variables)
        self.namespace.clear()
        self.namespace.update(new_namespace())
        self.namespace.update(values)

    def run(self) -> Problems:
        with self.session():
            for slide, item in self.items():
                self.run_item(slide, item)
        return self.problems

    def run_item(self, slide: Slide, item: Cell | InlineExpr) -> bool:
        """Run one item; False if it failed (its error collected, or raised when not collecting)."""
        try:
            with process_kept(item.location):  # a cell closing fd 1 or lowering RLIMIT_NOFILE: its error
                if isinstance(item, Cell):
                    self._run_tracked(item, self.problems)
                else:
                    self.evaluate_inline(item, self.problems)
        except (DeckError, Exception, SystemExit, KeyboardInterrupt) as exc:
            if isinstance(exc, Interrupted):
                exc.location = item.location.on_slide(slide.index)  # type: ignore[attr-defined]  # said on exit
                raise  # a real Ctrl-C stops the build
            err = exc if isinstance(exc, DeckError) else escaped(item, exc)
            self._hook("on_error", item, err)
            self.problems.add(err.with_slide(slide.index))
            return False
        self._hook("on_end", item)
        return True

    def rerun_quietly(self, cell: Cell) -> None:
        """Run a cell again only for its effect on the namespace (rebuilding state); results dropped."""
        with process_kept(cell.location, say=False):  # said when it first ran
            self._run_tracked(cell, Problems(collect_errors=True))

    def _run_tracked(self, cell: Cell, problems: Problems) -> None:
        """Run a cell in the state a fresh run has, noting the project's modules it imports."""
        self.start()
        before = set(local_modules(self.project_root, ENGINE))
        try:
            with recording() as self.inputs:
                self.run_cell(cell, problems)
        finally:
            self.imported = {n: p for n, p in local_modules(self.project_root, ENGINE).items() if n not in before}

    def finished(self, item: Cell | InlineExpr) -> None:
        """An item whose result was taken from elsewhere (the cache): observers hear it is done."""
        self._hook("on_end", item)

    def _hook(self, name: str, *args) -> None:
        for hook in self.hooks:
            getattr(hook, name, lambda *a: None)(*args)

    @contextlib.contextmanager
    def _limited(self, item: Cell | InlineExpr, limit: float | None):
        """The item's time limit; observers hear when it stops. (They hear it start before the cell's
        own context is entered, `_execute_code`: a hook must not run on the meta device, with the
        cell's printed text or warnings captured.)"""
        try:
            with time_limit(limit):
                yield
        finally:
            self._hook("on_stop", item)

    # --- inline expressions ------------------------------------------------------------------
    def evaluate_inline(self, item: InlineExpr, problems: Problems, in_code: bool = False) -> None:
        try:
            self._hook("on_start", item, self.timeout)
            with self._limited(item, self.timeout), random_untouched():
                value = eval_expression(item.expr, self.namespace, item.location)
        except CellTimeout:
            raise CellError(f"inline expression `{item.expr}` did not finish within {self.timeout:g} s",
                            item.location) from None
        shown = short_text(value, self.lang, in_code)
        item.text = shown
        if item.claim is not None:
            if is_blank(item.claim):
                return
            item.text = item.claim
            # a claim that holds whole is its own value (a text `3 channels RGB`), else the value it starts with
            written = item.claim if holds(item.claim, value, self.lang, shown) else prose_value(item.claim, self.lang)
            verify(written, value, shown, self.lang, item.location, problems, f"`{item.expr}` is")

    # --- cells -------------------------------------------------------------------------------
    def run_cell(self, cell: Cell, problems: Problems) -> None:
        lines = cell.code.split("\n")
        values: dict[int, object] = {}  # 0-based last line of an expression statement -> its value
        if cell.live and cell.options.eval and any(line.startswith(">>>") for line in lines):
            self._run_transcript(cell, problems)
            return
        if cell.live and cell.options.eval:
            values = self._execute_code(cell, problems)
        cell.display = "\n".join(lines)
        cell.replacements = []
        for i, line in enumerate(lines):
            if CODE_EXPR.search(line):
                lines[i] = self._fill_code_exprs(cell, i, line, problems)
            elif i in values and cell.options.output == "comment":
                lines[i] = result_comment(cell, i, line, values[i], short_text(values[i], self.lang, in_code=True),
                                          self.lang, problems)
        cell.display = "\n".join(lines)

    def _fill_code_exprs(self, cell: Cell, i: int, line: str, problems: Problems) -> str:
        from ..source.slides import make_expr

        out, pos = [], 0
        for m in CODE_EXPR.finditer(line):
            out.append(line[pos:m.start()])
            item = make_expr("{py} " + m.group(1), cell.lines[min(i, len(cell.lines) - 1)])
            self.evaluate_inline(item, problems, in_code=True)
            start = sum(len(s) for s in out)
            text, blank, answer_step = item.text, None, None
            if item.claim is not None and is_blank(item.claim):
                blank, answer_step = item.claim, cell.step + 1
            cell.replacements.append(Replacement(i, start, start + len(text), text, blank, answer_step))
            out.append(text)
            pos = m.end()
        out.append(line[pos:])
        return "".join(out)

    def _run_transcript(self, cell: Cell, problems: Problems) -> None:
        """A transcript cell: `>>> expr` lines run in order; the lines under them are checked claims."""
        ns = self.namespace
        lines = cell.code.split("\n")
        cell.display, cell.replacements, cell.outputs = cell.code, [], []
        i = 0
        while i < len(lines):
            if not lines[i].startswith(">>>"):
                i += 1
                continue
            first = i
            source = [lines[i][4:]]
            i += 1
            while i < len(lines) and lines[i].startswith("..."):
                source.append(lines[i][4:])
                i += 1
            expected_at = i
            while i < len(lines) and lines[i].strip() and not lines[i].startswith(">>>"):
                i += 1
            expected = "\n".join(lines[expected_at:i]).strip()
            location = line_location(cell, first + 1)
            code = "\n".join(source)
            try:
                tree = ast.parse(code)
            except SyntaxError as exc:
                raise SourceError(f"syntax error in cell: {exc.msg}", location) from None
            stdout = PrintedText()  # a line printing megabytes keeps only what a slide could show
            try:
                with contextlib.redirect_stdout(stdout), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    value = None
                    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
                        value = eval(compile(ast.Expression(tree.body[0].value), f"<deck cell {cell.index}>", "eval"), ns)
                    else:
                        exec(compile(tree, f"<deck cell {cell.index}>", "exec"), ns)
            except Exception as exc:
                raise CellError(f"cell raised {type(exc).__name__}: {exc}", location) from None
            if not expected:
                continue
            where = line_location(cell, expected_at + 1)
            shown = stdout.getvalue().strip() if value is None else _repl_text(value, self.lang)
            if is_blank(expected):  # the answer goes on the slide: as long as a cell's output may be
                shown = capped(shown, self.lang, stdout.chars if value is None else None)
                start = len(lines[expected_at]) - len(lines[expected_at].lstrip())
                cell.replacements.append(Replacement(expected_at, start, start + len(shown), shown, expected,
                                                     cell.step + 1))
                lines[expected_at] = lines[expected_at][:start] + shown
                continue
            verify(expected, value if value is not None else shown, shown, self.lang, where, problems,
                   f"`{code.strip()}` gives")
        cell.display = "\n".join(lines)

    def _execute_code(self, cell: Cell, problems: Problems) -> dict[int, object]:
        """Run a cell statement by statement, then record what it shows; the values of its lines
        (0-based line -> value), which result comments are checked against."""
        filename = f"<deck cell {cell.index}>"
        linecache.cache[filename] = (len(cell.code), None, cell.code.splitlines(True), filename)
        try:
            tree = ast.parse(cell.code, filename)
        except SyntaxError as exc:
            raise SourceError(f"syntax error in cell: {exc.msg}", line_location(cell, exc.lineno)) from None
        limit = cell.options.timeout or self.timeout
        self._hook("on_start", cell, limit)
        room = figure_room.set(cell.room)  # figure builders size their text for the room the slide leaves
        try:
            ran = self._run_statements(cell, tree, filename, limit)
        finally:
            figure_room.reset(room)
        cell.warnings = _shown_warnings(cell, ran.warnings, filename)
        self._record_outputs(cell, ran, filename, problems)
        return ran.values

    def _run_statements(self, cell: Cell, tree: ast.Module, filename: str, limit: float | None) -> _Ran:
        """Each statement in the namespace, as a notebook runs a cell: an expression's value is kept
        for its line (and the last one is the cell's result); the first error stops the cell."""
        ns, ran = self.namespace, _Ran()
        with contextlib.ExitStack() as stack:
            ran.warnings = stack.enter_context(warnings.catch_warnings(record=True))
            warnings.simplefilter("always")
            stack.enter_context(contextlib.redirect_stdout(ran.stdout))
            if cell.options.meta:
                import torch

                stack.enter_context(torch.device("meta"))
                stack.enter_context(meta_views(ns))
            stack.enter_context(self._limited(cell, limit))
            code_lines = cell.code.split("\n")
            for stmt in tree.body:
                try:
                    ran.last_value = _run_statement(stmt, ns, filename, code_lines, ran.values)
                except Exception as exc:  # the lecturer's code failed; report it at its line
                    ran.raised, ran.last_value = exc, None  # what a line before it gave is not the cell's result
                    break
                except CellTimeout as exc:
                    raise CellError(f"cell did not finish within its time limit of {limit:g} s "
                                    "(set `#| timeout:` or front matter `execute: {timeout: ...}`)",
                                    raise_location(cell, exc, filename)) from None
        return ran

    def _record_outputs(self, cell: Cell, ran: _Ran, filename: str, problems: Problems) -> None:
        """What the cell shows under its code: printed text, the expected error, its result (a
        figure, a table, a value) or the figures of its result comments, pyplot's figures."""
        opts, last_value, raised = cell.options, ran.last_value, ran.raised
        cell.outputs = []
        asis = opts.output == "asis"  # printed text is Markdown, rendered in place of the output
        if asis and isinstance(last_value, str):
            print(last_value, file=ran.stdout)
            last_value = None
        if ran.stdout.getvalue():  # megabytes printed: cut, with a note
            printed = capped(ran.stdout.getvalue().rstrip("\n"), self.lang, ran.stdout.chars)
            cell.outputs.append(Output("markdown" if asis else "text", strip_addresses(printed)))
        if opts.raises:
            where = cell.option_lines.get("raises", cell.location)
            if verify_expected_error(opts.raises, raised, where, problems):
                cell.outputs.append(Output("error", capped(f"{type(raised).__name__}: {raised}", self.lang)))
        elif raised is not None:
            raise CellError(raised_message("cell", raised, meta=opts.meta),
                            raise_location(cell, raised, filename), detail=cell_traceback(raised, filename))
        # what writing its figures tells the lecturer (figures/lecturer.py: text too small) is the cell's too
        with warnings.catch_warnings(record=True) as late:
            warnings.simplefilter("always")
            self._record_shown(cell, last_value, ran.values)
        cell.warnings += _shown_warnings(cell, late, filename)

    def _record_shown(self, cell: Cell, last_value: object, values: dict[int, object]) -> None:
        """The cell's result (a figure, a table, a value), or the figures of its result comments,
        and pyplot's figures."""
        opts = cell.options
        shown_figures = []
        if opts.output in ("below", "asis") and last_value is not None:
            rich = rich_output(last_value, opts.caption)
            shown_figures.append(last_value)
            # A hidden cell (echo: false) shows the figure or table it makes, not the text of its
            # last value: `torch.manual_seed(0)` at the end of a set-up cell is no slide content.
            if rich or (opts.echo and not _is_plot_artist(last_value)):
                cell.outputs.append(rich or Output("text", capped(as_text(last_value, self.lang), self.lang)))
        elif opts.output == "comment":
            for v in values.values():
                rich = rich_output(v, opts.caption)
                if rich:
                    cell.outputs.append(rich)
        cell.outputs.extend(_pyplot_figures(opts.caption, shown_figures))


@dataclass
class _Ran:
    """What running a cell's statements gave."""

    values: dict[int, object] = field(default_factory=dict)  # 0-based line -> the value it showed
    last_value: object = None
    raised: Exception | None = None
    stdout: PrintedText = field(default_factory=PrintedText)
    warnings: list = field(default_factory=list)


def _run_statement(stmt: ast.stmt, ns: dict, filename: str, code_lines: list[str], values: dict[int, object]):
    """Run one statement; its value when it is an expression (None otherwise), also kept in `values`
    at its last line when there is something to show or check."""
    assert stmt.end_lineno is not None  # set by ast.parse
    printed = _printed_value(stmt, ns)
    if printed is not None and comment_column(code_lines[stmt.end_lineno - 1]) is not None:
        # `print(nparams(lstm))  # 18 944`: the comment states what is printed; the argument is
        # evaluated once, then printed, as print itself would do
        value = eval(compile(ast.Expression(printed), filename, "eval"), ns)
        print(value)
        values[stmt.end_lineno - 1] = value
        return None
    if isinstance(stmt, ast.Expr):
        value = eval(compile(ast.Expression(stmt.value), filename, "eval"), ns)
        if _silenced(stmt, code_lines):  # `net.eval();`: as in Jupyter, the value is not shown
            value = None
        if value is not None and not _is_plot_artist(value) and not _is_handle(value):  # nothing to show or check
            values[stmt.end_lineno - 1] = value
        return value
    exec(compile(ast.Module([stmt], []), filename, "exec"), ns)
    return None


def eval_expression(expr: str, ns: dict, location: Location):
    try:
        code = compile(expr, f"<inline {location}>", "eval")
    except SyntaxError as exc:
        raise SourceError(f"invalid inline expression `{expr}`: {exc.msg}", location) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return eval(code, ns)
    except Exception as exc:
        raise CellError(raised_message(f"inline expression `{expr}`", exc, inline=True), location) from None


def _repl_text(value, lang: str) -> str:
    """What Python's prompt prints for a value (a transcript shows it): its repr; deck's helpers
    print as on a slide (`(32, 512)`, `1,01 Go`)."""
    if hasattr(value, "_deck_text_"):
        return as_text(value, lang, in_code=True)
    return strip_addresses(repr(value))


def _printed_value(stmt: ast.stmt, ns: dict) -> ast.expr | None:
    """The argument of a statement `print(x)` (one argument, the built-in print), else None."""
    import builtins

    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print"
            and len(call.args) == 1 and not call.keywords and not isinstance(call.args[0], ast.Starred)
            and ns.get("print", builtins.print) is builtins.print):
        return call.args[0]
    return None


def _shown_warnings(cell: Cell, caught: list, filename: str) -> list[tuple[Location, str]]:
    """What the lecturer is told of a cell's warnings: each once (a loop warns at every turn), and a
    deprecation only when the cell's own code is deprecated, as Python shows them only for __main__:
    a library's use of numpy's old API is not the lecturer's to fix."""
    shown: list[tuple[Location, str]] = []
    for w in caught:
        own = w.filename == filename
        if not own and issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            continue
        item = (line_location(cell, w.lineno) if own else cell.location, str(w.message))
        if item not in shown:
            shown.append(item)
    return shown


def _silenced(stmt: ast.stmt, lines: list[str]) -> bool:
    """Is the expression statement followed by `;` on its last line?"""
    assert stmt.end_lineno is not None  # set by ast.parse
    line = lines[stmt.end_lineno - 1].encode("utf-8")  # ast's columns count UTF-8 bytes
    return line[stmt.end_col_offset:].decode("utf-8", "replace").lstrip().startswith(";")


def _is_handle(value) -> bool:
    """A value without a value of its own to show: its repr is object's (`torch.manual_seed(0)`
    returns a Generator, `<torch._C.Generator object at 0x…>`); a result comment would say nothing."""
    return type(value).__repr__ is object.__repr__ and not hasattr(value, "_deck_text_")


def _is_plot_artist(value) -> bool:
    """`ax.plot(...)` returns artists; their repr is noise on a slide (the figure is shown)."""
    items = value if isinstance(value, (list, tuple)) and value else [value]
    return all(type(v).__module__.startswith("matplotlib.") for v in items)


def _pyplot_figures(caption: str, already_shown: list) -> list[Output]:
    """Figures a cell drew with pyplot and did not return, as SVG outputs (then all closed)."""
    if "matplotlib.pyplot" not in sys.modules:
        return []
    plt = sys.modules["matplotlib.pyplot"]
    shown = {id(f) for f in already_shown}
    outputs = [Output("svg", figure_svg(plt.figure(n)), alt=caption) for n in plt.get_fignums()
               if id(plt.figure(n)) not in shown]
    plt.close("all")
    return outputs


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
