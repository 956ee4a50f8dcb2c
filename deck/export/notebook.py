"""The deck as a Jupyter notebook (nbformat 4): the students run the cells themselves after the lecture.

A Markdown cell per part of a slide between its code cells, with the computed values written in, math
left as `$...$`, images as attachments, speaker notes left out; a code cell per live cell as the slide
shows it (its `#|` options removed), set-up cells included but collapsed. The first cells say how to
run it and prepare the kernel (deck.export.kernel). The teacher version carries the outputs deck
computed; the student version has none, and no answers: exercise cells keep their blanks.

Cell ids are made from the slide and the cell's place in it, so that two builds give the same bytes.
"""
from __future__ import annotations

import ast
import base64
import json
import re
from pathlib import Path
from typing import cast
from urllib.parse import unquote

from ..document import Cell, Deck, Slide
from ..errors import CellError
from ..execute import cell_api
from ..render.assets import image_uri
from ..shared.locale import format_date
from .kernel import LINE_KEY

PAUSE = ". . ."
PROSE_EXPR = re.compile(r"(`+)\s*\{py\}.*?\1")
IMAGE = re.compile(r'!\[(?P<alt>[^\]]*)\]\((?P<src><[^>]+>|[^)\s]+)(?P<title>\s+"[^"]*")?\)')
# containers whose fence lines go and whose content stays (layout and steps mean nothing in a notebook)
KEPT_INSIDE = ("incremental", "columns", "column", "answer")
# every helper a cell sees on the slides (the types apart): a list typed here missed the ConvNet
# helpers, and a notebook using `macs` or `out_size` stopped at a NameError
HELPERS = ", ".join(name for name in cell_api.__all__ if name[0].islower())

INTRO = {
    "fr": ("Le carnet de la séance : exécutez les cellules dans l'ordre, de haut en bas. La première "
           "cellule de code charge les fonctions de deck ({helpers}) et `figures` ; les valeurs "
           "s'affichent comme sur les diapositives. `%%deck meta` exécute une cellule sur le "
           "*meta device* de PyTorch (formes et nombres de poids sans calcul), `%%deck comment` affiche "
           "la valeur de chaque ligne (les commentaires de résultat des diapositives).\n\n"
           "Sur Colab, installez d'abord deck depuis le dépôt du cours :\n\n"
           "```\n%pip install \"deck @ git+URL_DU_DÉPÔT_DU_COURS\"\n```"),
    "en": ("The lecture's notebook: run the cells in order, top to bottom. The first code cell loads "
           "deck's helpers ({helpers}) and `figures`; values are shown as on the slides. `%%deck meta` "
           "runs a cell on PyTorch's meta device (shapes and weight counts without computing), "
           "`%%deck comment` shows the value of each line (the slides' result comments).\n\n"
           "On Colab, first install deck from the course's repository:\n\n"
           "```\n%pip install \"deck @ git+URL_OF_THE_COURSE_REPOSITORY\"\n```"),
}


def notebook_bytes(deck: Deck, shown: Deck, student: bool, project_root: Path) -> bytes:
    """The notebook of the executed `deck`, as `shown` (the version: the student one has no answers)."""
    import nbformat
    from nbformat import v4

    cells = _front_cells(deck)
    counter = [0]
    for slide, version in zip(deck.slides, shown.slides):
        if slide.kind == "title":
            continue
        cells.extend(_slide_cells(deck, slide, version, student, project_root, counter))
    nb = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "deck": {"source": deck.path.name, "version": "student" if student else "teacher"}})
    nbformat.validate(nb)
    text = nbformat.writes(nb)  # sorted keys: the same notebook gives the same bytes
    return text.encode("utf-8")


def _front_cells(deck: Deck) -> list:
    from nbformat import v4

    meta = deck.front_matter
    lines = [f"# {meta.get('title') or deck.name}"]
    if meta.get("subtitle"):
        lines.append(f"## {meta['subtitle']}")
    who = [str(meta[k]) for k in ("author", "place") if meta.get(k)]
    if meta.get("date"):
        who.append(format_date(meta["date"], deck.lang))
    if who:
        lines.append(" · ".join(who))
    lang = deck.lang if deck.lang in INTRO else "en"
    lines.append(INTRO[lang].format(helpers=HELPERS))
    title = v4.new_markdown_cell("\n\n".join(lines), id="title",
                                 metadata={"slideshow": {"slide_type": "slide"}})
    setup = v4.new_code_cell(
        "import figures\n"
        f"from deck.execute.cell_api import {HELPERS}\n"
        "from deck.export.kernel import setup\n\n"
        f"setup(lang={deck.lang!r})  # values as the slides write them, %%deck, figures as SVG",
        id="setup", metadata={"slideshow": {"slide_type": "skip"}})
    return [title, setup]


def _slide_cells(deck: Deck, slide: Slide, version: Slide, student: bool, project_root: Path,
                 counter: list[int]) -> list:
    """The notebook cells of one slide: Markdown between its code cells."""
    from nbformat import v4

    lines = slide.markdown.split("\n")
    dropped, fences = _structure(slide, student)
    exprs = iter(_prose_exprs(slide, version, dropped))
    out: list = []
    prose: list[str] = []

    def flush() -> None:
        text = "\n".join(prose).strip("\n")
        prose.clear()
        if text.strip():
            text, attachments = _attachments(text, deck, slide, project_root)
            md = v4.new_markdown_cell(text)
            if attachments:
                md.attachments = attachments
            out.append(md)

    i = 0
    while i < len(lines):
        if i in fences:
            end, cell = fences[i]
            shown = version.cells[slide.cells.index(cell)]
            if cell.live and cell.options.eval:
                flush()
                out.append(_code_cell(shown, student, counter))
            else:  # shown only: a code block of the Markdown
                prose.extend(_fenced(shown))
            i = end
            continue
        if i not in dropped and lines[i].strip() != PAUSE:
            prose.append(PROSE_EXPR.sub(lambda m: next(exprs).text, lines[i]))
        i += 1
    flush()
    for k, cell in enumerate(out):
        cell["id"] = f"s{slide.index}-{k + 1}"
        kind = "slide" if k == 0 else "-"
        if cell.cell_type == "code" and cell.metadata.get("jupyter", {}).get("source_hidden"):
            kind = "skip"
        cell.metadata["slideshow"] = {"slide_type": kind}
    return out


def _structure(slide: Slide, student: bool) -> tuple[set[int], dict[int, tuple[int, Cell]]]:
    """The slide's lines that a notebook leaves out (notes, answers in the student version, the fences
    of layout containers), and its code fences: first line -> (line after it, cell)."""
    dropped: set[int] = set()
    fences: dict[int, tuple[int, Cell]] = {}
    lines = slide.markdown.split("\n")
    for tok in slide.tokens:
        if not tok.map:
            continue
        start, end = tok.map
        if tok.type == "fence" and "cell" in tok.meta:
            fences[start] = (end, tok.meta["cell"])
        elif tok.type == "container_notes_open" or (student and tok.type == "container_answer_open"):
            dropped.update(range(start, end + 1 if end < len(lines) and lines[end].strip().startswith(":::") else end))
        elif tok.type.startswith("container_") and tok.type.endswith("_open"):
            dropped.add(start)
            if end < len(lines) and lines[end].strip().startswith(":::"):  # the closing fence follows the map
                dropped.add(end)
    return dropped, fences


def _prose_exprs(slide: Slide, version: Slide, dropped: set[int]) -> list:
    """The slide's prose expressions, as the version shows them, outside the lines left out, in order."""
    shown = dict(zip(map(id, slide.exprs), version.exprs))
    found: list = []
    for tok in slide.tokens:
        if tok.type == "inline" and tok.map and tok.map[0] not in dropped:
            found.extend(shown[id(c.meta["expr"])] for c in tok.children or [] if "expr" in c.meta)
    return found


def _fenced(cell: Cell) -> list[str]:
    text = cell.display or cell.code
    fence = "~~~~" if "```" in text else "```"
    return [f"{fence}{cell.lang}", *text.split("\n"), fence]


def _code_cell(cell: Cell, student: bool, counter: list[int]):
    """A live cell as the slide shows it, with the outputs deck computed (teacher version)."""
    from nbformat import v4

    transcript = any(line.startswith(">>>") for line in cell.code.split("\n"))
    comment = cell.options.output == "comment" or transcript
    flags = [f for f, on in (("meta", cell.options.meta), ("comment", comment)) if on]
    code = cell.display or cell.code
    source = (f"%%deck {' '.join(flags)}\n" if flags else "") + (_from_transcript(code) if transcript else code)
    metadata: dict = {"deck": {"cell": cell.index, "line": cell.location.line}}
    tags = []
    if cell.options.raises:
        tags.append("raises-exception")  # nbclient and Jupyter Book run on past the expected error
    if not cell.options.echo:
        metadata["jupyter"] = {"source_hidden": True}
        tags.append("hide-input")
    if tags:
        metadata["tags"] = tags
    made = v4.new_code_cell(source, metadata=metadata)
    if not student and not transcript:
        counter[0] += 1
        made.execution_count = counter[0]
        made.outputs = [_checked(o, cell) for o in _outputs(cell, counter[0])]
    return made


def _from_transcript(code: str) -> str:
    """A transcript (`>>>` lines and what they print) as code a kernel runs: the statements without
    their prompts, what the slide shows under them as comments."""
    out = []
    for line in code.split("\n"):
        if line.startswith((">>> ", "... ")) or line in (">>>", "..."):
            out.append(line[4:])
        else:
            out.append(f"# {line}" if line.strip() else line)
    return "\n".join(out)


def _outputs(cell: Cell, count: int) -> list:
    """The cell's outputs as deck computed them, in nbformat's terms."""
    from nbformat import v4

    outs = []
    if cell.options.output == "comment":
        outs += [v4.new_output("display_data", {"text/plain": text}, metadata={LINE_KEY: line})
                 for line, text in comment_values(cell)]
    texts = [o for o in cell.outputs if o.kind in ("text", "markdown")]
    ends_with_value = cell.options.output == "below" and _ends_with_value(cell.code) and cell.options.echo
    for o in cell.outputs:
        if o.kind in ("text", "markdown"):
            if ends_with_value and o is texts[-1]:
                outs.append(v4.new_output("execute_result", {"text/plain": o.content}, execution_count=count))
            else:
                outs.append(v4.new_output("stream", name="stdout", text=o.content + "\n"))
        elif o.kind == "error":
            name, _, message = o.content.partition(": ")
            outs.append(v4.new_output("error", ename=name, evalue=message, traceback=[o.content]))
        elif o.kind == "svg":
            outs.append(v4.new_output("display_data", {"image/svg+xml": o.content, "text/plain": o.alt or "figure"}))
        elif o.kind == "html":
            outs.append(v4.new_output("display_data", {"text/html": o.content, "text/plain": o.alt or "table"}))
    return outs


def comment_values(cell: Cell, lang: str = "en") -> list[tuple[int, str]]:
    """(1-based line, value) of each result comment a cell shows: the value deck wrote, or the claim
    written there and verified by the build (a plain comment is no value)."""
    from ..claims.grammar import split_remark
    from ..claims.result_comments import COMMENT_VALUE, comment_column

    filled = {r.line: r.text for r in cell.replacements}
    shown = (cell.display or cell.code).split("\n")
    values = []
    for line in sorted(_expression_lines(cell.code)):
        text = shown[line - 1] if line <= len(shown) else ""
        col = comment_column(text)
        if col is None or not text[:col].strip():
            continue
        if line - 1 in filled:
            values.append((line, filled[line - 1]))
            continue
        m = COMMENT_VALUE.match(text[col + 1:])
        assert m is not None  # every line matches: the label is optional, the value may be empty
        written, _ = split_remark(m.group("value").strip(), lang)
        if written:
            values.append((line, written))
    return values


def _expression_lines(code: str) -> set[int]:
    """The last line of each expression statement (and `print(...)`) of the cell: those with a value."""
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return set()
    return {cast(int, stmt.end_lineno) for stmt in body if isinstance(stmt, ast.Expr)}  # set by ast.parse


def _ends_with_value(code: str) -> bool:
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return False
    return bool(body) and isinstance(body[-1], ast.Expr) and not code.rstrip().endswith(";")


def _checked(output, cell: Cell):
    """An output that a notebook file can hold (JSON in UTF-8), or a located error."""
    try:
        json.dumps(output, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise CellError(f"the cell's output cannot be written into the notebook: {exc}", cell.location) from None
    return output


def _attachments(text: str, deck: Deck, slide: Slide, project_root: Path) -> tuple[str, dict]:
    """Images of the Markdown as the cell's attachments (the notebook is one file, as the HTML deck)."""
    attachments: dict = {}

    def attach(m: re.Match) -> str:
        src = unquote(m.group("src").strip("<>"))
        uri = image_uri(src, deck.path.parent, project_root, slide.location)
        mime, _, data = uri.removeprefix("data:").partition(";base64,")
        name = f"image{len(attachments) + 1}{Path(src).suffix.lower()}"
        attachments[name] = {mime: data or base64.b64encode(b"").decode()}
        return f"![{m.group('alt')}](attachment:{name}{m.group('title') or ''})"

    return IMAGE.sub(attach, text), attachments
