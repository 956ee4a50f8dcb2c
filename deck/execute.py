"""Stage 3: run the deck's cells and inline expressions in order, in one namespace per deck.

Notebook semantics: a prose expression is evaluated where it stands, after the cells before it;
an expression inside a cell's displayed code after that cell. A later cell that rebinds a name
cannot change an earlier slide because every value is turned into text when it is reached.
"""
from __future__ import annotations

import ast
import contextlib
import io
import linecache
import re
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field

from . import claims
from .errors import ClaimError, DeckError, Location
from .model import Cell, Deck, InlineExpr, Output, Replacement
from .shared.locale import current_lang
from .values import as_text, figure_svg, rich_output, strip_addresses

CODE_EXPR = re.compile(r"`\{py\}\s*([^`]+?)\s*`")
COMMENT_VALUE = re.compile(r"^(?P<label>[^:#]*:\s*)?(?P<value>.*?)\s*$")


class CellTimeout(BaseException):
    """Raised by the alarm inside a cell that runs past its time limit. A BaseException, so that a
    cell's own `except Exception:` cannot swallow it."""


DEFAULT_TIMEOUT = 60.0  # seconds per cell or expression, unless `#| timeout:` or front matter say otherwise


@contextlib.contextmanager
def time_limit(seconds: float | None):
    import signal
    import threading

    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def alarm(signum, frame):
        raise CellTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Problems:
    """False claims and (in check mode) other errors, collected instead of stopping at the first."""

    collect_errors: bool = False
    timeout: float = DEFAULT_TIMEOUT  # default time limit of a cell
    items: list[DeckError] = field(default_factory=list)
    claims: list[tuple[Location, str]] = field(default_factory=list)  # every literal checked

    def checked(self, location: Location, written: str) -> None:
        self.claims.append((location, written))

    def add(self, error: DeckError) -> None:
        if isinstance(error, ClaimError) or self.collect_errors:
            self.items.append(error)
        else:
            raise error


def new_namespace() -> dict:
    from . import helpers

    ns = {"__name__": "__deck__", "__builtins__": __builtins__}
    ns.update({name: getattr(helpers, name) for name in helpers.__all__})
    return ns


def execute(deck: Deck, problems: Problems | None = None, namespace: dict | None = None,
            on_cell=None, cache=None, log=None) -> Problems:
    """Run every cell and expression of the deck, filling in what the slides show.

    With a `cache` (deck.cache.Cache), results whose key is unchanged are reused and the namespace
    is rebuilt from snapshots only when something has to run; `log(message)` hears why each cell ran.
    """
    problems = problems or Problems()
    ns = namespace if namespace is not None else new_namespace()
    plan = _Plan(deck, cache, log) if cache is not None else None
    total = len(deck.cells)
    token = current_lang.set(deck.lang)
    try:
        for position, (slide, item) in enumerate((s, i) for s in deck.slides for i in s.items):
            try:
                if plan is not None and plan.reuse(position, item, problems):
                    pass
                else:
                    if plan is not None:
                        plan.prepare_namespace(position, ns)
                    mark = (len(problems.items), len(problems.claims))
                    started = time.perf_counter()
                    if isinstance(item, Cell):
                        run_cell(item, ns, deck.lang, problems)
                    else:
                        evaluate_inline(item, ns, deck.lang, problems)
                    if plan is not None:
                        plan.record(position, item, problems, mark, ns, time.perf_counter() - started)
                if isinstance(item, Cell):
                    slide.steps = max([slide.steps, item.options.callouts_step or 0]
                                      + [r.answer_step or 0 for r in item.replacements])
                    if on_cell:
                        on_cell(item.index + 1, total)
            except DeckError as err:
                if plan is not None:
                    plan.broken(position)
                problems.add(err.with_slide(slide.index))
        if plan is not None:
            plan.finish()
    finally:
        current_lang.reset(token)
        _close_figures()
    return problems


class _Plan:
    """The cache's view of one execution: keys of every item, hits, and namespace bookkeeping."""

    def __init__(self, deck: Deck, cache, log):
        from . import cache as cache_mod

        self.m = cache_mod
        self.cache, self.deck, self.log = cache, deck, log or (lambda message: None)
        self.items = [i for s in deck.slides for i in s.items]
        self.base = cache_mod.deck_key(deck.lang, deck.files, deck.path, deck.meta)
        self.keys, self.fps, self.chain_before = [], [], []
        chain = self.base
        for item in self.items:
            self.chain_before.append(chain)
            if isinstance(item, Cell):
                fp = cache_mod.cell_fingerprint(item)
                chain = cache_mod._sha(chain, fp)
                self.keys.append(chain)
            else:
                fp = cache_mod.expr_fingerprint(item)
                self.keys.append(cache_mod._sha(chain, fp))
            self.fps.append(fp)
        self.previous = {e.get("fp"): e for e in cache.manifest(deck.name)}
        self.previous_base = next(iter(self.previous.values()), {}).get("base")
        self.ns_at = -1          # position of the last cell whose effects the namespace holds
        self.ns_fresh = True     # the namespace is the start state (no cell ran in it)
        self.unsaved_seconds = 0.0  # time spent running cells since the last snapshot

    def _cells_before(self, position: int) -> list[int]:
        return [k for k in range(position) if isinstance(self.items[k], Cell)]

    def reuse(self, position: int, item, problems: Problems) -> bool:
        data = self.cache.load(self.keys[position])
        if data is None:
            return False
        # A prose edit above moves this item without changing its key: locations saved with the
        # result are moved along (same offset from the item, current slide number).
        move = self.m.Relocation(self.m._unloc(data.get("at")), item.location)
        if isinstance(item, Cell):
            self.m.apply_cell_result(item, data["result"], move)
        else:
            item.text = data["result"]["text"]
        for p in data["problems"]:
            problems.add(self.m.problem_from_json(p, move))
        problems.claims.extend((move(self.m._unloc(loc)), w) for loc, w in data["claims"])
        if isinstance(item, Cell):
            self.log(f"{item.location}: cell {item.index + 1} cached")
        return True

    def prepare_namespace(self, position: int, ns: dict) -> None:
        """Make `ns` the state after the last cell before `position` (snapshot, or re-running)."""
        before = self._cells_before(position)
        if not before or self.ns_at == before[-1]:
            return
        for k in reversed(before):
            if k > self.ns_at and self.cache.restore(self.keys[k], ns):
                self.ns_at = k
                break
            if k <= self.ns_at:
                break
        if self.ns_at < 0 and not self.ns_fresh:
            ns.clear()
            ns.update(new_namespace())
        for k in before:
            if k > self.ns_at:  # no usable snapshot: re-run earlier cells to rebuild the state
                cell = self.items[k]
                self.log(f"{cell.location}: cell {cell.index + 1} re-run to rebuild the namespace")
                run_cell(cell, ns, self.deck.lang, Problems(collect_errors=True))
                self.ns_at, self.ns_fresh = k, False

    # Snapshotting costs time too (pickling every variable): take one only when re-running the cells
    # since the last one would cost more than this; a restore then re-runs those few cheap cells.
    SNAPSHOT_AFTER_SECONDS = 0.25

    def record(self, position: int, item, problems: Problems, mark: tuple[int, int], ns: dict,
               seconds: float = 0.0) -> None:
        new_problems = problems.items[mark[0]:]
        if any(not isinstance(p, ClaimError) for p in new_problems):
            return  # a failing item is never cached
        if isinstance(item, Cell):
            self.log(f"{item.location}: cell {item.index + 1} ran: {self._reason(position)}")
            result = self.m.cell_result(item)
            self.ns_at, self.ns_fresh = position, False
            self.unsaved_seconds += seconds
            if self.unsaved_seconds >= self.SNAPSHOT_AFTER_SECONDS:
                self.cache.snapshot(self.keys[position], ns)
                self.unsaved_seconds = 0.0
        else:
            result = {"text": item.text}
        self.cache.store(self.keys[position], {
            "at": self.m._loc(item.location), "result": result, "problems": [self.m.problem_to_json(p) for p in new_problems],
            "claims": [[self.m._loc(loc), w] for loc, w in problems.claims[mark[1]:]]})

    def _reason(self, position: int) -> str:
        if not self.previous:
            return "not in the cache"
        if self.previous_base != self.base:
            return "versions, included files or front matter changed"
        if self.fps[position] not in self.previous:
            return "its code or options changed (or it is new)"
        return "an earlier cell changed"

    def broken(self, position: int) -> None:
        """A failed item: never cached; a failed cell's partial effects stay in the namespace."""
        if isinstance(self.items[position], Cell):
            self.ns_at, self.ns_fresh = position, False

    def finish(self) -> None:
        self.cache.save_manifest(self.deck.name, [
            {"fp": fp, "key": key, "base": self.base} for fp, key in zip(self.fps, self.keys)])


def evaluate_inline(item: InlineExpr, ns: dict, lang: str, problems: Problems) -> None:
    try:
        with _noted(item, problems.timeout), time_limit(problems.timeout):
            value = eval_expression(item.expr, ns, item.location)
    except CellTimeout:
        raise DeckError(f"inline expression `{item.expr}` did not finish within {problems.timeout:g} s",
                        item.location) from None
    shown = as_text(value, lang)
    item.text = shown
    if item.claim is not None:
        if claims.is_blank(item.claim):
            return
        item.text = item.claim
        problems.checked(item.location, item.claim)
        if not claims.holds(item.claim, value, lang, shown):
            problems.add(ClaimError(f"claim is false: `{item.expr}` is {shown}, not {item.claim}",
                                    item.location, detail=f"    written: {item.claim}\n    true:    {shown}",
                                    written=item.claim, true=shown))


def eval_expression(expr: str, ns: dict, location: Location):
    try:
        code = compile(expr, f"<inline {location}>", "eval")
    except SyntaxError as exc:
        raise DeckError(f"invalid inline expression `{expr}`: {exc.msg}", location) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return eval(code, ns)
    except Exception as exc:
        raise DeckError(f"inline expression `{expr}` raised {type(exc).__name__}: {exc}", location) from None


def run_cell(cell: Cell, ns: dict, lang: str, problems: Problems) -> None:
    lines = cell.code.split("\n")
    values: dict[int, object] = {}  # 0-based last line of an expression statement -> its value
    if cell.live and cell.options.eval and any(line.startswith(">>>") for line in lines):
        _run_doctest(cell, ns, lang, problems)
        return
    if cell.live and cell.options.eval:
        values = _execute_code(cell, ns, lang, problems)
    cell.display = "\n".join(lines)
    cell.replacements = []
    for i, line in enumerate(lines):
        if CODE_EXPR.search(line):
            lines[i] = _fill_code_exprs(cell, i, line, ns, lang, problems)
        elif i in values and cell.options.output == "comment":
            lines[i] = _result_comment(cell, i, line, values[i], lang, problems)
    cell.display = "\n".join(lines)


def _fill_code_exprs(cell: Cell, i: int, line: str, ns: dict, lang: str, problems: Problems) -> str:
    out, pos = [], 0
    for m in CODE_EXPR.finditer(line):
        out.append(line[pos:m.start()])
        item = claims_expr(m.group(1), cell.lines[min(i, len(cell.lines) - 1)])
        evaluate_inline(item, ns, lang, problems)
        start = sum(len(s) for s in out)
        text, blank, answer_step = item.text, None, None
        if item.claim is not None and claims.is_blank(item.claim):
            blank, answer_step = item.claim, cell.step + 1
        cell.replacements.append(Replacement(i, start, start + len(text), text, blank, answer_step))
        out.append(text)
        pos = m.end()
    out.append(line[pos:])
    return "".join(out)


def claims_expr(body: str, location: Location) -> InlineExpr:
    from .parse import make_expr

    return make_expr("{py} " + body, location)


def _result_comment(cell: Cell, i: int, line: str, value, lang: str, problems: Problems) -> str:
    """knitr-style: `conv(x).shape  # (8, 16, 2501)`; a written value there is a claim to check."""
    shown = as_text(value, lang)
    col = _comment_column(line)
    location = cell.lines[min(i, len(cell.lines) - 1)]
    if col is None:
        line = line.rstrip() + "  # "
        start = len(line)
        cell.replacements.append(Replacement(i, start, start + len(shown), shown))
        return line + shown
    m = COMMENT_VALUE.match(line[col + 1:])
    label, written = (m.group("label") or "").strip(), m.group("value").strip()
    prefix = line[:col] + "# " + (label + " " if label else "")
    start = len(prefix)
    if not written:
        cell.replacements.append(Replacement(i, start, start + len(shown), shown))
        return prefix + shown
    if claims.is_blank(written):
        cell.replacements.append(Replacement(i, start, start + len(shown), shown, written, cell.step + 1))
        return prefix + shown
    problems.checked(location, written)
    if not claims.holds(written, value, lang, shown):
        problems.add(ClaimError(f"claim is false: this line gives {shown}, not {written}", location,
                                detail=f"    written: {written}\n    true:    {shown}", written=written, true=shown))
    return prefix + written


def _run_doctest(cell: Cell, ns: dict, lang: str, problems: Problems) -> None:
    """A transcript cell: `>>> expr` lines run in order; the lines under them are checked claims."""
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
        location = _loc(cell, first + 1)
        code = "\n".join(source)
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            raise DeckError(f"syntax error in cell: {exc.msg}", location) from None
        stdout = io.StringIO()
        try:
            with contextlib.redirect_stdout(stdout), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = None
                if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
                    value = eval(compile(ast.Expression(tree.body[0].value), f"<deck cell {cell.index}>", "eval"), ns)
                else:
                    exec(compile(tree, f"<deck cell {cell.index}>", "exec"), ns)
        except Exception as exc:
            raise DeckError(f"cell raised {type(exc).__name__}: {exc}", location) from None
        if not expected:
            continue
        where = _loc(cell, expected_at + 1)
        shown = stdout.getvalue().strip() if value is None else as_text(value, lang)
        if claims.is_blank(expected):
            start = len(lines[expected_at]) - len(lines[expected_at].lstrip())
            cell.replacements.append(Replacement(expected_at, start, start + len(shown), shown, expected, cell.step + 1))
            lines[expected_at] = lines[expected_at][:start] + shown
            continue
        problems.checked(where, expected)
        if not claims.holds(expected, value if value is not None else shown, lang, shown):
            problems.add(ClaimError(f"claim is false: `{code.strip()}` gives {shown}, not {expected}", where,
                                    detail=f"    written: {expected}\n    true:    {shown}", written=expected, true=shown))
    cell.display = "\n".join(lines)


def _comment_column(line: str) -> int | None:
    import tokenize

    try:
        for tok in tokenize.generate_tokens(io.StringIO(line + "\n").readline):
            if tok.type == tokenize.COMMENT:
                return tok.start[1]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return None


def _execute_code(cell: Cell, ns: dict, lang: str, problems: Problems) -> dict[int, object]:
    filename = f"<deck cell {cell.index}>"
    linecache.cache[filename] = (len(cell.code), None, cell.code.splitlines(True), filename)
    try:
        tree = ast.parse(cell.code, filename)
    except SyntaxError as exc:
        raise DeckError(f"syntax error in cell: {exc.msg}", _loc(cell, exc.lineno)) from None
    values: dict[int, object] = {}
    stdout = io.StringIO()
    last_value, raised = None, None
    opts = cell.options
    with contextlib.ExitStack() as stack:
        caught = stack.enter_context(warnings.catch_warnings(record=True))
        warnings.simplefilter("always")
        stack.enter_context(contextlib.redirect_stdout(stdout))
        if opts.meta:
            import torch

            stack.enter_context(torch.device("meta"))
        limit = opts.timeout or problems.timeout
        stack.enter_context(_noted(cell, limit))
        stack.enter_context(time_limit(limit))
        for stmt in tree.body:
            try:
                if isinstance(stmt, ast.Expr):
                    value = eval(compile(ast.Expression(stmt.value), filename, "eval"), ns)
                    if value is not None and not _is_plot_artist(value):  # nothing to show or check
                        values[stmt.end_lineno - 1] = value
                    last_value = value
                else:
                    exec(compile(ast.Module([stmt], []), filename, "exec"), ns)
                    last_value = None
            except Exception as exc:  # the lecturer's code failed; report it at its line
                raised = exc
                break
            except CellTimeout as exc:
                raise DeckError(f"cell did not finish within its time limit of {limit:g} s "
                                "(set `#| timeout:` or front matter `execute: {timeout: ...}`)",
                                _raise_location(cell, exc, filename)) from None
    cell.warnings = [(_loc(cell, w.lineno) if w.filename == filename else cell.location, str(w.message))
                     for w in caught]
    cell.outputs = []
    if stdout.getvalue():
        cell.outputs.append(Output("text", strip_addresses(stdout.getvalue().rstrip("\n"))))
    if opts.raises:
        _check_expected_error(cell, raised, filename, problems)
    elif raised is not None:
        raise DeckError(f"cell raised {type(raised).__name__}: {raised}", _raise_location(cell, raised, filename),
                        detail=_cell_traceback(raised, filename))
    shown_figures = []
    if opts.output == "below" and last_value is not None:
        rich = rich_output(last_value, opts.caption)
        shown_figures.append(last_value)
        if rich or not _is_plot_artist(last_value):
            cell.outputs.append(rich or Output("text", as_text(last_value, lang)))
    elif opts.output == "comment":
        for v in values.values():
            rich = rich_output(v, opts.caption)
            if rich:
                cell.outputs.append(rich)
    cell.outputs.extend(_pyplot_figures(opts.caption, shown_figures))
    return values


@contextlib.contextmanager
def _noted(item, limit: float | None):
    """Breadcrumbs for the supervising process: which cell runs now, and for how long at most."""
    from .supervise import note

    note("start", str(item.location), limit)
    try:
        yield
    finally:
        note("end")


def _is_plot_artist(value) -> bool:
    """`ax.plot(...)` returns artists; their repr is noise on a slide (the figure is shown)."""
    items = value if isinstance(value, (list, tuple)) and value else [value]
    return all(type(v).__module__.startswith("matplotlib.") for v in items)


def _check_expected_error(cell: Cell, raised, filename: str, problems: Problems) -> None:
    name, _, fragment = cell.options.raises.partition(":")
    name, fragment = name.strip(), fragment.strip()
    where = cell.option_lines.get("raises", cell.location)
    problems.checked(where, cell.options.raises)
    if raised is None:
        problems.add(ClaimError(f"cell was expected to raise {name} but ran without error", where))
        return
    names = {k.__name__ for k in type(raised).__mro__}
    if name not in names or fragment not in str(raised):
        want = f"{name}" + (f" with {fragment!r}" if fragment else "")
        problems.add(ClaimError(f"cell was expected to raise {want}, but raised {type(raised).__name__}: {raised}",
                                where))
        return
    cell.outputs.append(Output("error", f"{type(raised).__name__}: {raised}"))


def _loc(cell: Cell, lineno: int | None) -> Location:
    i = min(max((lineno or 1) - 1, 0), len(cell.lines) - 1)
    return cell.lines[i]


def _raise_location(cell: Cell, exc: BaseException, filename: str) -> Location:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return _loc(cell, line)


def _cell_traceback(exc: BaseException, filename: str) -> str:
    """The traceback from the cell's frame down, without deck's own frames above it."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    return "".join(lines[-12:]).rstrip()


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
