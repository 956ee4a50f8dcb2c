"""Rendered source text -> the Deck's slides, with their cells, inline expressions and steps.

Format (see the README's authoring guide):
- slides are separated by a line holding only `---` (outside code fences);
- ```{python} fences are live cells, with `#| key: value` option lines at their top;
- `{py} expr` in an inline code span is an inline expression (`{py} expr => 524 800` is a claim);
- a paragraph holding only `. . .` is a pause: what follows appears one step later;
- `::: incremental` makes each item of the lists inside appear one by one;
- `:::: columns` / `::: column [width]` lay content side by side; `::: notes` holds speaker notes;
- `::: answer` holds an exercise's answer, shown one step after what precedes it.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..claims.exercises import is_blank
from ..document import Deck, InlineExpr, Slide
from ..errors import Location, SourceError
from ..options import execute_defaults
from ..shared.files import NotText, read_text
from .cells import _at, make_cell
from .front_matter import key_lines, read_course, validate_front_matter
from .markdown import markdown
from .templating import render

SLIDE_BREAK = re.compile(r"^---[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
PAUSE = ". . ."
INLINE_PREFIX = re.compile(r"^\{py\}\s*")
CLAIM_SPLIT = re.compile(r"\s=>\s")


def parse_file(path: Path, project_root: Path) -> Deck:
    """Read a source file and return its Deck (not yet executed)."""
    inside = path.absolute().is_relative_to(project_root.absolute()) or \
        path.resolve().is_relative_to(project_root.resolve())
    if not inside:  # given by its path (a link inside leading out: templating's refusal)
        raise SourceError("the deck source is outside the project (the folder deck runs in, or --root): "
                          "deck builds only files inside it (copy the file into the project)", Location(path, 1))
    try:
        source = read_text(path)
    except OSError as exc:
        raise SourceError(f"cannot read the source: {exc.strerror or exc}", Location(path, 1)) from None
    except NotText as exc:
        raise SourceError(f"cannot read the source: {exc}", Location(path, exc.line)) from None
    return parse(source, path, project_root)


def parse(source: str, path: Path, project_root: Path) -> Deck:
    """The Deck of a source text: Jinja rendered, slides split, cells and expressions found."""
    course = read_course(path, project_root)
    rendered = render(source, path, project_root, course=course)
    where = {**{key: course.location(key) for key in course.values}, **key_lines(source, path)}
    meta = validate_front_matter(rendered.front_matter, path, where)
    if course.path is not None:
        rendered.files.append(course.path)  # the cache key and --watch follow it like an include
    slides: list[Slide] = []
    if meta.get("title_slide", True) and meta.get("title"):
        slides.append(Slide(1, str(meta["title"]), "", Location(path, 1, 1), [Location(path, 1)], kind="title"))
    for start, lines in split_slides(rendered.text.split("\n")):
        chunk_locs = rendered.lines[start:start + len(lines)]
        if not "".join(lines).strip():
            continue
        index = len(slides) + 1
        first = next(k for k, line in enumerate(lines) if line.strip())  # not the blank line after `---`
        slide = Slide(index, "", "\n".join(lines), _at(chunk_locs, first, index), chunk_locs)
        build_slide(slide)
        check_callout_steps(slide)
        slides.append(slide)
    defaults = execute_defaults(meta, where.get("execute", Location(path, 2)))
    cell_no = 0
    for slide in slides:
        for cell in slide.cells:
            cell.index, cell_no = cell_no, cell_no + 1
            if cell.live:
                for name, value in defaults.items():
                    if name not in cell.option_lines:
                        setattr(cell.options, name, value)
    return Deck(path, path.stem, meta, slides, rendered.files, defaults, course.values)


def split_slides(lines: list[str]):
    """Yield (first line index, lines) of each slide; `---` inside a code fence is code."""
    fence: str | None = None
    start, current = 0, list[str]()
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if m:
            mark = m.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence) and not line.strip()[len(mark):].strip():
                fence = None
        if fence is None and SLIDE_BREAK.match(line):
            yield start, current
            start, current = i + 1, []
        else:
            current.append(line)
    yield start, current


def build_slide(slide: Slide) -> None:
    """Parse the slide's Markdown and find its title, cells, inline expressions and steps."""
    tokens = markdown().parse(slide.markdown)
    tokens = assign_steps(tokens, slide)
    for tok in tokens:
        if tok.type == "heading_open" and not slide.title:
            slide.title = _inline_text(tokens[tokens.index(tok) + 1])
            if tok.map:  # a slide is named by its title's line (problems of the whole slide point there)
                slide.location = _at(slide.lines, tok.map[0], slide.index)
        elif tok.type == "fence":
            slide.cells.append(make_cell(tok, slide))
            slide.items.append(slide.cells[-1])
        elif tok.type == "inline":
            line = tok.map[0] if tok.map else 0
            for child in tok.children or []:
                child.map = child.map or tok.map  # children have no map: their paragraph's line locates them
                if child.type in ("softbreak", "hardbreak"):  # the paragraph's next source line
                    line += 1
                if child.type == "code_inline" and INLINE_PREFIX.match(child.content):
                    expr = make_expr(child.content, _at(slide.lines, line, slide.index))
                    if expr.claim is not None and is_blank(expr.claim):  # a question: answered a step later
                        expr.answer_step = tok.meta.get("step", 1) + 1
                    child.meta["expr"] = expr
                    slide.exprs.append(expr)
                    slide.items.append(expr)
    slide.tokens = tokens


def check_callout_steps(slide: Slide) -> None:
    """Callouts appear at one of the slide's steps, or one after its last (with an exercise's answer):
    a step beyond would only add empty pages (`callouts-step: 300` would make 300 of them)."""
    last = slide.base_steps + 1
    for cell in slide.cells:
        step = cell.options.callouts_step
        if step is not None and step > last:
            raise SourceError(f"callouts-step {step} is beyond the slide's steps (it has {slide.base_steps}; "
                              f"callouts can appear at step {last} at the latest)",
                              cell.option_lines.get("callouts_step", cell.location))


def make_expr(content: str, location: Location) -> InlineExpr:
    body = INLINE_PREFIX.sub("", content, count=1).strip()
    parts = CLAIM_SPLIT.split(body)
    claim = parts.pop().strip() if len(parts) > 1 else None
    expr = " => ".join(parts).strip()
    if not expr:
        raise SourceError("empty inline expression `{py}`", location)
    return InlineExpr(expr, location, claim)


def shown_title(slide: Slide) -> str:
    """The slide's title as the page shows it once its cells ran: an inline expression (`## Total
    `{py} x + 1``) gives its value, not its code (the PDF bookmark and the HTML label read this);
    an exercise's blank stays a blank, so that the bookmark does not give the answer away."""
    tokens = slide.tokens
    start = next((i for i, tok in enumerate(tokens) if tok.type == "heading_open"), None)
    if start is None or start + 1 >= len(tokens) or tokens[start + 1].type != "inline":
        return slide.title
    parts = []
    for child in tokens[start + 1].children or []:
        expr = child.meta.get("expr") if child.type == "code_inline" else None
        if expr is not None:
            parts.append("…" if expr.claim is not None and is_blank(expr.claim) else expr.text)
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
    return "".join(parts) or slide.title


def _inline_text(tok) -> str:
    return "".join(c.content for c in (tok.children or []) if c.type in ("text", "code_inline")) or tok.content


def assign_steps(tokens: list, slide: Slide) -> list:
    """Turn pause paragraphs and incremental lists into `data-step` marks; count the steps."""
    from markdown_it.token import Token

    out: list = []
    step = 1
    open_wrappers: list[int] = []  # nesting levels of open step wrappers
    incremental_levels: list[int] = []
    answers: list[int] = []        # the step each open answer block resumes after it
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        is_pause = (tok.type == "paragraph_open" and i + 2 < len(tokens)
                    and tokens[i + 1].content.strip() == PAUSE)
        if is_pause:
            while open_wrappers and open_wrappers[-1] >= tok.level:
                out.append(Token("deck_step_close", "div", -1, level=open_wrappers.pop()))
            step += 1
            out.append(Token("deck_step_open", "div", 1, level=tok.level, meta={"step": step}))
            open_wrappers.append(tok.level)
            i += 3
            continue
        if tok.nesting == -1:
            while open_wrappers and open_wrappers[-1] > tok.level:
                out.append(Token("deck_step_close", "div", -1, level=open_wrappers.pop()))
        if tok.type == "container_answer_open":
            # One step after what precedes it; what follows the block is not delayed by it.
            answers.append(step)
            step += 1
            tok.meta["step"] = step
        elif tok.type == "container_answer_close":
            slide.answer_steps.append(step)
            step = answers.pop()
        if tok.type == "container_incremental_open":
            incremental_levels.append(tok.level)
        elif tok.type == "container_incremental_close":
            incremental_levels.pop()
        elif tok.type == "list_item_open" and incremental_levels and tok.level == incremental_levels[-1] + 2:
            if not _first_item_of_first_list(tokens, i, incremental_levels[-1]):
                step += 1
            tok.attrSet("data-step", str(step)) if step > 1 else None
        if tok.type in ("fence", "code_block", "inline"):
            tok.meta["step"] = step
        out.append(tok)
        i += 1
    while open_wrappers:
        out.append(Token("deck_step_close", "div", -1, level=open_wrappers.pop()))
    slide.base_steps = step
    return out


def _first_item_of_first_list(tokens: list, i: int, container_level: int) -> bool:
    """The first item of an incremental block shows with the slide; later ones one step each."""
    for tok in reversed(tokens[:i]):
        if tok.type == "container_incremental_open" and tok.level == container_level:
            return True
        if tok.type == "list_item_open" and tok.level == container_level + 2:
            return False
    return True


