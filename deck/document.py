"""The deck as the stages pass it on: source -> execute -> render. Small dataclasses, each node with its
source location."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Location
from .options import CellOptions, code_steps


@dataclass
class Output:
    """One thing a cell shows under its code."""

    kind: str     # text | error | svg | html
    content: str
    alt: str = ""


@dataclass
class Replacement:
    """A span of a displayed code line whose text comes from execution (value or result comment)."""

    line: int        # 0-based line of the displayed code
    start: int
    end: int
    text: str
    blank: str | None = None   # exercise: shown until `answer_step` (None: the student version, no answer)
    answer_step: int | None = None


@dataclass
class Cell:
    code: str
    lang: str
    options: CellOptions
    live: bool                    # ```{python} runs; ```python is shown only
    lines: list[Location]         # source location of each code line
    step: int = 1
    index: int = 0                # position among the deck's cells
    option_lines: dict[str, Location] = field(default_factory=dict)  # where each option is written
    # Filled before execution (render/page_fit.py `figure_rooms`): the height in slide px its slide
    # leaves a figure it shows, None if not known; figure builders size their text for it
    room: float | None = None
    # Filled by execution:
    display: str = ""             # the code as shown (options removed, values filled in)
    replacements: list[Replacement] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    warnings: list[tuple[Location, str]] = field(default_factory=list)

    @property
    def location(self) -> Location:
        return self.lines[0]

    @property
    def code_steps(self) -> list[frozenset[int]]:
        """The lines each of the cell's highlight steps lights (`code-steps`), in step order."""
        return code_steps(self.options.code_steps)


@dataclass
class InlineExpr:
    """`{py} expr` in prose, or `{py} expr => written value` (a claim checked by check mode)."""

    expr: str
    location: Location
    claim: str | None = None
    text: str = ""  # the value as shown, filled by execution
    answer_step: int | None = None  # a blank claim (`=> ?`): the step its answer replaces the blank at


@dataclass
class Slide:
    index: int                    # 1-based slide number (the title slide is 1)
    title: str
    markdown: str
    location: Location            # the slide's first line
    lines: list[Location]         # location of each markdown line
    kind: str = "content"         # content | title
    base_steps: int = 1           # steps from pauses and incremental lists
    answer_steps: list[int] = field(default_factory=list)  # the last step of each `::: answer` block
    tokens: list[Any] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    exprs: list[InlineExpr] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)  # cells and prose expressions, in reading order
    notes: str = ""               # rendered HTML of the speaker notes

    @property
    def steps(self) -> int:
        """How many steps the slide has: its pauses and incremental items, the step at which callouts
        appear, one more for each exercise answer shown after its blank or in an answer block, and a
        cell's highlighted lines (`code-steps`), one group a step from the cell's own. Computed here only."""
        later = [c.options.callouts_step or 0 for c in self.cells]
        later += [r.answer_step or 0 for c in self.cells for r in c.replacements]
        later += [e.answer_step or 0 for e in self.exprs]
        later += [c.step + len(c.code_steps) - 1 for c in self.cells if c.code_steps]
        return max([self.base_steps, *later, *self.answer_steps])


@dataclass
class Deck:
    path: Path
    name: str
    front_matter: dict            # validated; unknown keys are the source's Jinja variables
    slides: list[Slide]
    files: list[Path]             # the source and every file it included
    cell_defaults: dict = field(default_factory=dict)  # front matter `execute:`, validated
    course: dict = field(default_factory=dict)  # the course settings (`_course.yml`) the deck started from

    @property
    def lang(self) -> str:
        return str(self.front_matter["lang"])

    @property
    def cells(self) -> list[Cell]:
        return [c for s in self.slides for c in s.cells]

    @property
    def pages(self) -> int:
        return sum(s.steps for s in self.slides)
