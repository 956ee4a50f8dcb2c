"""What a deck's notebook runs in its first cell (`from deck.export.kernel import setup; setup("fr")`):
a plain Jupyter kernel then shows values as the slides do.

- values are written by deck's own rules (`524 800`, `(32, 512)`), in the deck's language;
- `%%deck meta` runs a cell on torch's meta device with meta copies of earlier models and tensors
  (a real model cannot meet a meta tensor), as the deck's `#| meta: true` does;
- `%%deck comment` shows the value of every expression line, tagged with its line: the values the
  slide writes as result comments (`#| output: comment`);
- figures are SVG, as on the slides.

The same functions as the build's (execute.outputs, execute.runner) do the work, so that the notebook
and the slides cannot drift apart.
"""
from __future__ import annotations

import ast
import contextlib

LINE_KEY = "deck_line"  # display metadata: the 1-based code line whose value a `%%deck comment` output is


def setup(lang: str = "en") -> None:
    """Prepare the running IPython kernel for a deck's cells (call it once, in the first cell)."""
    from IPython import get_ipython

    from ..shared.locale import current_lang

    ip = get_ipython()
    if ip is None:
        raise RuntimeError("deck.export.kernel.setup() runs inside a Jupyter (IPython) kernel")
    current_lang.set(lang)
    # each cell may run in a copy of the context (ipykernel's asyncio tasks): set the language in each
    ip.events.register("pre_run_cell", lambda *_: current_lang.set(lang))
    formatters = ip.display_formatter.formatters
    formatters["text/plain"] = _deck_text_formatter(lang, parent=ip.display_formatter)
    ip.register_magic_function(_deck_magic(lang), magic_kind="cell", magic_name="deck")
    with contextlib.suppress(ImportError):  # figures as SVG, as the deck embeds them
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("svg")


def _deck_text_formatter(lang: str, parent):
    from IPython.core.formatters import PlainTextFormatter

    from ..execute.outputs import as_text

    class DeckText(PlainTextFormatter):
        """The text of a value as the slide shows it under its cell."""

        def __call__(self, obj):
            return as_text(obj, lang)

    return DeckText(parent=parent)


def _deck_magic(lang: str):
    def deck(line: str, cell: str) -> None:
        """%%deck [meta] [comment]: run the cell as the deck did (see the module's doc)."""
        from IPython import get_ipython

        flags = set(line.split())
        unknown = flags - {"meta", "comment"}
        if unknown:
            raise ValueError(f"%%deck: unknown flag(s) {', '.join(sorted(unknown))} (known: meta, comment)")
        ip = get_ipython()
        with contextlib.ExitStack() as stack:
            if "meta" in flags:
                import torch

                from ..execute.meta_views import meta_views

                stack.enter_context(torch.device("meta"))
                stack.enter_context(meta_views(ip.user_ns))
            if "comment" in flags:
                _each_line(cell, ip.user_ns, lang)
            else:
                ip.run_cell(cell)

    return deck


def _each_line(code: str, ns: dict, lang: str) -> None:
    """Run the cell statement by statement, showing each expression's value with its line (an
    exception goes up to IPython, which shows it as any cell's)."""
    from IPython.display import display

    from ..execute.outputs import rich_output, short_text
    from ..execute.runner import _silenced

    tree = ast.parse(code, "<cell>")
    lines = code.split("\n")
    for stmt in tree.body:
        if not isinstance(stmt, ast.Expr):
            exec(compile(ast.Module([stmt], []), "<cell>", "exec"), ns)
            continue
        value = eval(compile(ast.Expression(stmt.value), "<cell>", "eval"), ns)
        if value is None or _silenced(stmt, lines):
            continue
        metadata = {LINE_KEY: stmt.end_lineno}
        if rich_output(value, "") is not None:
            display(value, metadata=metadata)
        else:
            display({"text/plain": short_text(value, lang, in_code=True)}, raw=True, metadata=metadata)
