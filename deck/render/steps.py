"""Which elements a step shows: one set of CSS rules, for the HTML deck and the print document alike.

A slide shown at step k carries `data-show="k"` (set by deck.js in the browser, written on each page
of the print document). An element that appears at step m (`data-step="m"`) is hidden while k < m;
an exercise's blank (`data-swap-out="m"`) gives way to its answer (`data-swap-in="m"`) at step m; a
line of code lit at steps k and l (`data-lit="k l"`, from `code-steps`) is highlighted at those steps,
in the theme's line colours (`--line-bg`, `--line-edge`).
"""
from __future__ import annotations

from html import escape


def answer_marks(blank: str, step: int | None) -> tuple[str, str]:
    """The markup around an exercise's answer, in code or in prose: (before it, after it). At `step`
    the answer replaces its blank; without a step (the student version) only the blank is shown, in
    place of the answer."""
    if step is None:
        return '<span class="blank">', "</span>"
    return (f'<span class="answer" data-swap-in="{step}">',
            f'</span><span class="blank" data-swap-out="{step}">{escape(blank)}</span>')


def step_css(max_steps: int, screen_only: bool = False) -> str:
    """The rules for slides of up to `max_steps` steps. `screen_only`: for the HTML deck, whose
    printout (the browser's print) shows every slide in its final state instead."""
    rules = []
    for k in range(1, max_steps + 1):
        later = ", ".join(f'[data-show="{k}"] [data-step="{m}"]' for m in range(k + 1, max_steps + 2))
        swap_in = ", ".join(f'[data-show="{k}"] [data-swap-in="{m}"]' for m in range(k + 1, max_steps + 2))
        swap_out = ", ".join(f'[data-show="{k}"] [data-swap-out="{m}"]' for m in range(1, k + 1))
        rules.append(f"{later} {{ visibility: hidden !important }}")
        # WeasyPrint paints a collapsed table's borders whatever its cells' visibility: a table of a
        # later step would show as empty rules
        cells = ", ".join(f'[data-show="{k}"] [data-step="{m}"] :is(table, th, td)' for m in range(k + 1, max_steps + 2))
        rules.append(f"{cells} {{ border-color: transparent !important }}")
        rules.append(f"{swap_in}, {swap_out} {{ display: none !important }}")
        rules.append(f'[data-show="{k}"] .code-line[data-lit~="{k}"] '
                     "{ background-color: var(--line-bg); border-left-color: var(--line-edge) }")
    css = "\n".join(rules)
    return f"@media screen {{\n{css}\n}}" if screen_only else css
