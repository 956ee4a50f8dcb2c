"""Every option a lecturer can write, declared once: cell options (`#| key: value`), deck-wide cell
defaults (front matter `execute:`) and front-matter keys.

The table drives parsing, the error a bad value gets, and the README's option tables (a test checks
that the README shows exactly `markdown_table(...)`), as Quarto's option schema does.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import Location, SourceError

CELL, EXECUTE, FRONT = "cell", "execute", "front"  # where an option may be written


@dataclass(frozen=True)
class Option:
    name: str                         # as written: `callouts-step`
    kind: type | tuple[type, ...]     # accepted Python type(s) of the YAML value
    default: Any
    where: frozenset[str]
    help: str
    values: str = ""                  # how the README shows the accepted values
    choices: tuple[str, ...] = ()
    positive: bool = False
    text: bool = False                # the value is the written text itself (`RuntimeError: message`)
    grammar: Callable[[Any], Any] | None = None  # reads the value; ValueError says what is wrong

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")

    def parse(self, raw: str) -> Any:
        """The value of `raw` (the text after `key:`) as YAML, or as text for text options."""
        import yaml

        if self.text:
            return raw.strip()
        if not raw.strip():
            return None
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            return raw.strip()  # plain text such as `Convolution: 3×3`
        # `a: b` reads as a mapping; for an option that is not one, the lecturer meant the text
        return raw.strip() if isinstance(value, dict) and dict not in _kinds(self.kind) else value

    def check(self, value: Any, location: Location, label: str | None = None) -> Any:
        """`value` if it is valid for this option, else a SourceError at `location`."""
        label = label or f"cell option {self.name!r}"
        bad_bool = isinstance(value, bool) and bool not in _kinds(self.kind)
        if not isinstance(value, self.kind) or bad_bool:
            raise SourceError(f"{label} has a bad value {value!r} (expected {self.values or _kind_name(self.kind)})",
                              location)
        if self.positive and not (isinstance(value, (int, float)) and 0 < value < float("inf")):  # refuses NaN, inf
            raise SourceError(f"{label} must be a positive, finite number, not {value!r}", location)
        if self.choices and value not in self.choices:
            raise SourceError(f"{label} must be {_either(self.choices)}, not {value!r}", location)
        if self.grammar is not None:
            try:
                self.grammar(value)
            except ValueError as exc:
                raise SourceError(f"{label}: {exc}", location) from None
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value


def _either(choices: tuple[str, ...]) -> str:
    return ", ".join(choices[:-1]) + " or " + choices[-1] if len(choices) > 1 else choices[0]


def _kinds(kind) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind) -> str:
    return " or ".join(k.__name__ for k in _kinds(kind))


DEFAULT_TIMEOUT = 60.0  # seconds per cell or inline expression

_LINES = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")


def code_steps(value: str | int | None) -> list[frozenset[int]]:
    """The lines (1-based) that each step of a cell highlights, from `code-steps`: `"1|3-4"` ->
    [{1}, {3, 4}]; lines and ranges within a step are separated by commas; an empty step (`"|2"`)
    highlights none."""
    if value is None:
        return []
    groups = []
    for group in str(value).split("|"):
        lines: set[int] = set()
        for item in filter(str.strip, group.split(",")):
            m = _LINES.fullmatch(item)
            if m is None:
                raise ValueError(f"{item.strip()!r} is not a line number or a range like 3-4 "
                                 "(write steps as \"1|3-4\")")
            first, last = int(m.group(1)), int(m.group(2) or m.group(1))
            if first < 1 or last < first:
                raise ValueError(f"{item.strip()!r} is not a range of lines (the first line is 1)")
            lines.update(range(first, last + 1))
        groups.append(frozenset(lines))
    return groups


_CELL_AND_DECK = frozenset({CELL, EXECUTE})
_CELL_ONLY = frozenset({CELL})

CELL_OPTIONS: tuple[Option, ...] = (
    Option("echo", bool, True, _CELL_AND_DECK, "`false`: run hidden (set-up cells)", "`true` / `false`"),
    Option("eval", bool, True, _CELL_ONLY, "`false`: show without running", "`true` / `false`"),
    Option("output", str, "below", _CELL_AND_DECK,
           "where results go: under the code (printed text and the last value, figures), as "
           "knitr-style result comments on each expression line, or `asis`: what the cell prints (and a "
           "string it ends with) is Markdown, shown in place of the output (a loop can print a table)",
           "`below` / `comment` / `asis` / `none`", choices=("below", "comment", "asis", "none")),
    Option("raises", str, None, _CELL_ONLY,
           "the cell must raise that exception (and message fragment); its message is shown on the slide",
           "`RuntimeError` or `RuntimeError: fragment`", text=True),
    Option("meta", bool, False, _CELL_AND_DECK,
           "run on torch's meta device: shapes and counts without memory or time", "`true` / `false`"),
    Option("callouts", dict, {}, _CELL_ONLY, "draw a label under the first occurrence of a span of the code",
           '`{"32": "Taille du batch"}`'),
    Option("callouts-step", int, None, _CELL_ONLY, "the callouts appear at that step", "step number",
           positive=True),
    Option("code-size", str, "normal", _CELL_AND_DECK,
           "`small` draws the cell's code and output smaller, so that a long line fits its box or column",
           "`normal` / `small`", choices=("normal", "small")),
    Option("code-steps", (str, int), None, _CELL_ONLY,
           "highlight lines of the code step by step, from the cell's own step: `\"1|3-4\"` lights line 1, "
           "then lines 3 and 4 one step later (as Quarto's `code-line-numbers`); an empty step lights none; "
           "the last step stays lit", '`"1|3-4"`', grammar=code_steps),
    Option("caption", str, "", _CELL_ONLY, "the alt text (and caption) of a figure the cell shows", "text"),
    Option("timeout", (int, float), None, _CELL_AND_DECK,
           f"time limit of the cell in seconds (default {DEFAULT_TIMEOUT:g}, or `--timeout`)", "seconds",
           positive=True),
)

FRONT_OPTIONS: tuple[Option, ...] = (
    Option("title", str, None, frozenset({FRONT}), "the deck's title (title page, HTML title, PDF metadata)", "text"),
    Option("subtitle", str, None, frozenset({FRONT}), "under the title", "text"),
    Option("author", str, None, frozenset({FRONT}), "title page and PDF metadata", "text"),
    Option("institution", list, None, frozenset({FRONT}), "lines of the institution block (meteofrance theme)",
           "list of lines"),
    Option("motto", str, None, frozenset({FRONT}), "under the institution (meteofrance theme)", "text"),
    Option("organisation", str, None, frozenset({FRONT}), "the organisation's name (meteofrance theme)", "text"),
    Option("tagline", str, None, frozenset({FRONT}), "under the organisation (meteofrance theme)", "text"),
    Option("place", str, None, frozenset({FRONT}), "where the lecture is given (title page)", "text"),
    Option("date", str, None, frozenset({FRONT}), "the lecture's date, printed in the deck's language", "`YYYY-MM-DD`"),
    Option("lang", str, "en", frozenset({FRONT}), "numbers, dates and labels follow it", "`fr` / `en`",
           choices=("fr", "en")),
    Option("language", str, None, frozenset({FRONT}), "same as `lang`", "`fr` / `en`", choices=("fr", "en")),
    Option("theme", str, "default", frozenset({FRONT}), "the look of the slides", "`default` / `meteofrance`",
           choices=("default", "meteofrance")),
    Option("course", str, None, frozenset({FRONT}), "the course's name: the heading of `build/index.html` "
           "(usually in `_course.yml`)", "text"),
    Option("title_slide", bool, True, frozenset({FRONT}), "`false` omits the generated title page", "`true` / `false`"),
    Option("execute", dict, None, frozenset({FRONT}), "deck-wide defaults of cell options (see the cell options table)",
           "`{meta: true, timeout: 10}`"),
)

CELL_BY_ATTR = {o.attr: o for o in CELL_OPTIONS}
FRONT_BY_NAME = {o.name: o for o in FRONT_OPTIONS}


@dataclass
class CellOptions:
    """The options of one live cell, with the table's defaults."""

    values: dict[str, Any] = field(default_factory=lambda: {o.attr: copy.copy(o.default) for o in CELL_OPTIONS})

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "values":
            object.__setattr__(self, name, value)
        elif name in CELL_BY_ATTR:
            self.values[name] = value
        else:
            raise AttributeError(f"no cell option {name!r}")

    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)


def cell_option(key: str, location: Location) -> Option:
    option = CELL_BY_ATTR.get(key.replace("-", "_"))
    if option is None:
        known = ", ".join(o.name for o in CELL_OPTIONS)
        raise SourceError(f"unknown cell option {key!r} (known: {known})", location)
    return option


def execute_defaults(front_matter: dict, location: Location) -> dict[str, Any]:
    """Front matter `execute:`: deck-wide defaults of cell options, e.g. `execute: {meta: true}`."""
    defaults = {}
    for key, value in (front_matter.get("execute") or {}).items():
        option = CELL_BY_ATTR.get(str(key).replace("-", "_"))
        if option is None or EXECUTE not in option.where:
            allowed = ", ".join(o.name for o in CELL_OPTIONS if EXECUTE in o.where)
            raise SourceError(f"front matter: execute.{key} is not a deck-wide cell option ({allowed})", location)
        defaults[option.attr] = option.check(value, location, f"front matter: execute.{key}")
    return defaults


def markdown_table(where: str) -> str:
    """The README's table of the options that may be written at `where` (CELL or FRONT)."""
    options = CELL_OPTIONS if where == CELL else FRONT_OPTIONS
    rows = ["| option | values | effect |", "|---|---|---|"]
    for o in options:
        if where not in o.where:
            continue
        deck_wide = " Deck-wide default: front matter `execute:`." if EXECUTE in o.where else ""
        default = f" (default `{_yaml(o.default)}`)" if o.default not in (None, "", {}) else ""
        cells = (f"`{o.name}`", f"{o.values}{default}", f"{o.help.rstrip('.')}.{deck_wide}")
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")  # a | would end the cell
    return "\n".join(rows)


def _yaml(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def readme_with_tables(readme: str) -> str:
    """The README with its option tables (between `<!-- options: cell|front -->` markers) regenerated."""
    import re

    def table(match: re.Match) -> str:
        return f"<!-- options: {match.group(1)} -->\n{markdown_table(match.group(1))}\n<!-- /options -->"

    return re.sub(r"<!-- options: (cell|front) -->\n.*?\n<!-- /options -->", table, readme, flags=re.S)


if __name__ == "__main__":  # python -m deck.options: rewrite the README's tables from this one
    from pathlib import Path

    readme = Path(__file__).resolve().parents[1] / "README.md"
    readme.write_text(readme_with_tables(readme.read_text(encoding="utf-8")), encoding="utf-8")
