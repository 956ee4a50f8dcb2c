"""Stage 2: rendered source text -> Deck of Slides with their cells, inline expressions and steps.

Format (see the README's authoring guide):
- slides are separated by a line holding only `---` (outside code fences);
- ```{python} fences are live cells, with `#| key: value` option lines at their top;
- `{py} expr` in an inline code span is an inline expression (`{py} expr => 524 800` is a claim);
- a paragraph holding only `. . .` is a pause: what follows appears one step later;
- `::: incremental` makes each item of the lists inside appear one by one;
- `:::: columns` / `::: column [width]` lay content side by side; `::: notes` holds speaker notes.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from .errors import DeckError, Location
from .model import Cell, CellOptions, Deck, InlineExpr, Slide
from .templating import render

SLIDE_BREAK = re.compile(r"^---[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
PAUSE = ". . ."
INLINE_PREFIX = re.compile(r"^\{py\}\s*")
CLAIM_SPLIT = re.compile(r"\s=>\s")
LIVE_INFO = re.compile(r"^\{(\w+)\}\s*$")
KNOWN_META = {"title": str, "subtitle": str, "author": str, "institution": list, "place": str,
              "date": str, "lang": str, "language": str, "theme": str, "tagline": str,
              "title_slide": bool, "execute": dict, "motto": str, "organisation": str}
THEMES = ("default", "meteofrance")


@functools.lru_cache(maxsize=1)
def markdown():
    """The Markdown parser: CommonMark + tables, $math$, and ::: containers. Raw HTML is off."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.container import container_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(["table", "strikethrough"])
    md.use(dollarmath_plugin, allow_space=True, double_inline=True)
    for name in ("columns", "column", "notes", "incremental"):
        md.use(container_plugin, name=name)
    return md


def parse_file(path: Path, project_root: Path) -> Deck:
    """Read a source file and return its Deck (not yet executed)."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DeckError(f"cannot read the source: {exc}", Location(path, 1)) from None
    return parse(source, path, project_root)


def parse(source: str, path: Path, project_root: Path) -> Deck:
    rendered = render(source, path, project_root)
    meta = validate_meta(rendered.front_matter, path)
    slides: list[Slide] = []
    if meta.get("title_slide", True) and meta.get("title"):
        slides.append(Slide(1, str(meta["title"]), "", Location(path, 1, 1), [Location(path, 1)], kind="title"))
    for start, lines in split_slides(rendered.text.split("\n")):
        chunk_locs = rendered.lines[start:start + len(lines)]
        if not "".join(lines).strip():
            continue
        index = len(slides) + 1
        slide = Slide(index, "", "\n".join(lines), _at(chunk_locs, 0, index), chunk_locs)
        build_slide(slide)
        slides.append(slide)
    defaults = cell_defaults(meta, path)
    cell_no = 0
    for slide in slides:
        for cell in slide.cells:
            cell.index, cell_no = cell_no, cell_no + 1
            if cell.live:
                for name, value in defaults.items():
                    if name not in cell.option_lines:
                        setattr(cell.options, name, value)
    return Deck(path, path.stem, meta, slides, rendered.files)


def validate_meta(meta: dict, path: Path) -> dict:
    for key, kind in KNOWN_META.items():
        if key in meta and meta[key] is not None and not isinstance(meta[key], kind):
            if kind is str and isinstance(meta[key], (int, float)) or key == "date":
                meta[key] = str(meta[key])
            else:
                raise DeckError(f"front matter: '{key}' must be a {kind.__name__}", Location(path, 2))
    lang = meta.get("lang", meta.get("language", "en"))
    if lang not in ("fr", "en"):
        raise DeckError(f"front matter: lang must be 'fr' or 'en', not {lang!r}", Location(path, 2))
    meta["lang"] = lang
    theme = meta.get("theme", "default")
    if theme not in THEMES:
        raise DeckError(f"front matter: unknown theme {theme!r} (known: {', '.join(THEMES)})", Location(path, 2))
    return meta


def cell_defaults(meta: dict, path: Path) -> dict:
    """Front matter `execute:` sets default cell options for the deck, e.g. `execute: {meta: true}`."""
    defaults = {}
    for key, value in (meta.get("execute") or {}).items():
        name = str(key).replace("-", "_")
        if name not in ("meta", "timeout", "output", "echo"):
            raise DeckError(f"front matter: execute.{key} is not a deck-wide cell option "
                            "(meta, timeout, output, echo)", Location(path, 2))
        defaults[name] = _check_option(name, value, Location(path, 2))
    return defaults


def split_slides(lines: list[str]):
    """Yield (first line index, lines) of each slide; `---` inside a code fence is code."""
    fence: str | None = None
    start, current = 0, []
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


def _at(locs: list[Location], i: int, slide: int) -> Location:
    base = locs[min(max(i, 0), len(locs) - 1)]
    return Location(base.path, base.line, slide)


def build_slide(slide: Slide) -> None:
    """Parse the slide's Markdown and find its title, cells, inline expressions and steps."""
    tokens = markdown().parse(slide.markdown)
    tokens = assign_steps(tokens, slide)
    for tok in tokens:
        if tok.type == "heading_open" and not slide.title:
            slide.title = _inline_text(tokens[tokens.index(tok) + 1])
        elif tok.type == "fence":
            slide.cells.append(make_cell(tok, slide))
            slide.items.append(slide.cells[-1])
        elif tok.type == "inline":
            for child in tok.children or []:
                if child.type == "code_inline" and INLINE_PREFIX.match(child.content):
                    expr = make_expr(child.content, _at(slide.lines, tok.map[0] if tok.map else 0, slide.index))
                    child.meta["expr"] = expr
                    slide.exprs.append(expr)
                    slide.items.append(expr)
    slide.tokens = tokens


def make_expr(content: str, location: Location) -> InlineExpr:
    body = INLINE_PREFIX.sub("", content, count=1).strip()
    parts = CLAIM_SPLIT.split(body)
    claim = parts.pop().strip() if len(parts) > 1 else None
    expr = " => ".join(parts).strip()
    if not expr:
        raise DeckError("empty inline expression `{py}`", location)
    return InlineExpr(expr, location, claim)


def _inline_text(tok) -> str:
    return "".join(c.content for c in (tok.children or []) if c.type in ("text", "code_inline")) or tok.content


def assign_steps(tokens: list, slide: Slide) -> list:
    """Turn pause paragraphs and incremental lists into `data-step` marks; count the steps."""
    from markdown_it.token import Token

    out: list = []
    step = 1
    open_wrappers: list[int] = []  # nesting levels of open step wrappers
    incremental_levels: list[int] = []
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
        if tok.type == "container_incremental_open":
            incremental_levels.append(tok.level)
        elif tok.type == "container_incremental_close":
            incremental_levels.pop()
        elif tok.type == "list_item_open" and incremental_levels and tok.level == incremental_levels[-1] + 2:
            if not _first_item_of_first_list(tokens, i, incremental_levels[-1]):
                step += 1
            tok.attrSet("data-step", str(step)) if step > 1 else None
        if tok.type in ("fence", "code_block"):
            tok.meta["step"] = step
        out.append(tok)
        i += 1
    while open_wrappers:
        out.append(Token("deck_step_close", "div", -1, level=open_wrappers.pop()))
    slide.steps = slide.base_steps = step
    return out


def _first_item_of_first_list(tokens: list, i: int, container_level: int) -> bool:
    """The first item of an incremental block shows with the slide; later ones one step each."""
    for tok in reversed(tokens[:i]):
        if tok.type == "container_incremental_open" and tok.level == container_level:
            return True
        if tok.type == "list_item_open" and tok.level == container_level + 2:
            return False
    return True


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
    options, n_opt = parse_options(raw_lines, locs, option_lines) if lang == "python" else (CellOptions(eval=False), 0)
    if lang == "python" and not live:
        if n_opt:
            raise DeckError("cell options (#|) need a live cell: write ```{python}", locs[0])
        options.eval = False
    if live and lang != "python":
        raise DeckError(f"only Python cells can run, not {lang!r}", _at(slide.lines, tok.map[0] if tok.map else 0, slide.index))
    code = "\n".join(raw_lines[n_opt:])
    cell = Cell(code, lang, options, live, locs[n_opt:] or locs[-1:], step=tok.meta.get("step", 1),
                option_lines=option_lines)
    tok.meta["cell"] = cell
    return cell


def parse_options(lines: list[str], locs: list[Location],
                  option_lines: dict[str, Location] | None = None) -> tuple[CellOptions, int]:
    """Read the `#| key: value` lines at the top of a cell (YAML values)."""
    opts = CellOptions()
    n = 0
    while n < len(lines) and lines[n].lstrip().startswith("#|"):
        n += 1
    known = CellOptions.__dataclass_fields__
    for k in range(n):
        text = lines[k].lstrip()[2:].strip()
        if not text:
            continue
        key, colon, raw = text.partition(":")
        key = key.strip()
        if not colon or not key or " " in key:
            raise DeckError(f"bad cell option {text!r}: write '#| key: value'", locs[k])
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw.strip()  # a plain string such as `RuntimeError: expected 4D input`
        if key == "raises" or (isinstance(value, dict) and key != "callouts"):
            value = raw.strip()
        name = str(key).replace("-", "_")
        if name not in known:
            raise DeckError(f"unknown cell option {key!r} (known: {', '.join(sorted(known))})", locs[k])
        setattr(opts, name, _check_option(name, value, locs[k]))
        if option_lines is not None:
            option_lines[name] = locs[k]
    return opts, n


def _check_option(name: str, value, loc: Location):
    expected = {"echo": bool, "eval": bool, "meta": bool, "exercise": bool, "output": str,
                "raises": str, "callouts": dict, "callouts_step": int, "caption": str, "timeout": (int, float)}[name]
    if not isinstance(value, expected) or isinstance(value, bool) and expected in (int, (int, float)):
        raise DeckError(f"cell option {name!r} has a bad value {value!r}", loc)
    if name in ("timeout", "callouts_step") and value <= 0:
        raise DeckError(f"cell option {name!r} must be positive, not {value!r}", loc)
    if name == "output" and value not in ("below", "comment", "none"):
        raise DeckError(f"cell option 'output' must be below, comment or none, not {value!r}", loc)
    if name == "callouts":
        return {str(k): str(v) for k, v in value.items()}
    return value
