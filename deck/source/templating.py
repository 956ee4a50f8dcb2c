"""Jinja over the whole source (after its front matter), keeping a map back to source lines.

Jinja changes line numbers (loops repeat lines, includes insert files, macros move text), yet every
later error must name the source file and line. Before rendering, each source line that starts
outside a Jinja tag gets an invisible marker `<file>:<line>` in private-use characters; Jinja copies markers along
with the text, and after rendering they are stripped into a per-line location table.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DeckError, Location, SourceError
from ..shared.files import NotText, read_text
from .front_matter import CourseSettings, split_front_matter

# Private-use characters: never in real text, and not whitespace (Jinja's `{%-` strips \s).
MARK = re.compile("\ue000(\\d+):(\\d+)\ue001")
LEADING_MARKS = re.compile("(?:\ue000\\d+:\\d+\ue001)+")
BLOCK_START = re.compile(r"\s*(\{%|\{#|\{\{-)")
RAW_OPEN = re.compile(r"\{%-?\s*raw\s*-?%\}")
RAW_CLOSE = re.compile(r"\{%-?\s*endraw\s*-?%\}")
TAG_OPEN = {"{{": "}}", "{%": "%}", "{#": "#}"}


@dataclass
class Rendered:
    """The source after Jinja: plain text, the location of each of its lines, files it read."""

    front_matter: dict
    text: str
    lines: list[Location]
    body_line: int  # source line where the body (after front matter) starts
    files: list[Path] = field(default_factory=list)


def add_markers(text: str, file_index: int, first_line: int = 1) -> str:
    """Give every line that starts outside a Jinja tag a location marker: first on the line, or after
    the tags it opens with (`{# typed #}3 × 3 kernels`, `{% for n in ns %}- {{ n }} layers`)."""
    out: list[str] = []
    closing: str | None = None  # the delimiter that ends the tag we are inside, if any
    in_raw = False
    stripped = False  # the line before ends with `-%}`: Jinja strips the blanks this line opens with
    for offset, line in enumerate(text.split("\n")):
        marker = f"\ue000{file_index}:{first_line + offset}\ue001"
        if closing is None and not in_raw:
            out.append(_marked(line, marker, stripped))
        else:
            out.append(line)
        out.append("\n")
        i = 0
        while i < len(line):
            if in_raw:
                m = RAW_CLOSE.search(line, i)
                if not m:
                    break
                in_raw, i = False, m.end()
            elif closing:
                j = line.find(closing, i)
                if j < 0:
                    break
                closing, i = None, j + 2
            else:
                m = RAW_OPEN.match(line, i)
                if m:
                    in_raw, i = True, m.end()
                    continue
                pair = line[i:i + 2]
                if pair in TAG_OPEN:
                    closing, i = TAG_OPEN[pair], i + 2
                else:
                    i += 1
        if closing is None and not in_raw and _ends_with_tag(line):
            out.insert(len(out) - 1, marker)
        if closing is None and not in_raw:
            stripped = bool(STRIP_AFTER.search(line)) or (stripped and not line.strip())
    return "".join(out[:-1])  # drop the newline added after the last line


def _marked(line: str, marker: str, stripped: bool = False) -> str:
    """The line with its marker. A marker before a tag that opens the line would sit between the
    whitespace or text the tag strips (`{%-`, lstrip_blocks) and the tag, changing the author's
    whitespace control: it goes after the opening tags (and the blanks after them) instead, where
    the line's text starts; a line of tags only (or a `{% raw %}` one) gets none. After a line that
    ends with `-%}` (`stripped`), the blanks this line opens with are Jinja's to strip: the marker
    goes after them, and a blank line gets none."""
    if stripped:
        text = line.lstrip()
        return line[:len(line) - len(text)] + _marked(text, marker) if text else line
    if not BLOCK_START.match(line):
        return marker + line
    end = _leading_tags_end(line)
    if end is None or not line[end:].strip() or RAW_OPEN.search(line[:end]):
        return line
    return line[:end] + marker + line[end:]


def _leading_tags_end(line: str) -> int | None:
    """Where the text after the Jinja tags a line opens with (and the blanks after them) starts;
    None when one of them does not close on this line."""
    i = len(line) - len(line.lstrip())
    while line[i:i + 2] in TAG_OPEN:
        j = line.find(TAG_OPEN[line[i:i + 2]], i + 2)
        if j < 0:
            return None
        i = j + 2
        i += len(line[i:]) - len(line[i:].lstrip())
    return i


STRIP_AFTER = re.compile(r"-(?:%\}|#\}|\}\})\s*$")
TAG_AT_END = re.compile(r"\{([%#])(?:(?!\1\}).)*(?<!-)\1\}$")
TAG = re.compile(r"\{([%#])(?:(?!\1\}).)*\1\}")


def _ends_with_tag(line: str) -> bool:
    """A line of text ending with a Jinja comment or block tag (`… poids.{# typed #}`,
    `… {% if big %}grand{% else %}petit{% endif %}`): trim_blocks would remove the line break after
    it and join the next line to it (on the slide, and in the line map: the next line's numbers would
    take this line's mark). A marker after the tag keeps the break; a line of tags only
    (`{# a note #}`, `{% endfor %}`) still disappears, as Jinja means it to, and `-%}` still strips."""
    m = TAG_AT_END.search(line)
    return m is not None and bool(TAG.sub("", line[:m.start()]).strip())


def strip_markers(text: str, files: list[Path]) -> tuple[str, list[Location]]:
    """Remove markers; return the clean text and the source location of each of its lines."""
    clean: list[str] = []
    where: list[Location] = []
    last = Location(files[0], 1)
    for line in text.split("\n"):
        lead = LEADING_MARKS.match(line)
        if lead:
            idx, num = MARK.findall(lead.group(0))[-1]
            last = Location(files[int(idx)], int(num))
        elif (m := MARK.search(line)):
            last = Location(files[int(m.group(1))], int(m.group(2)))
        clean.append(MARK.sub("", line))
        where.append(last)
    return "\n".join(clean), where


def render(source: str, path: Path, project_root: Path, context: dict | None = None,
           course: CourseSettings | None = None) -> Rendered:
    """Split front matter, run Jinja over the body, and map each output line to its source.
    `course`: the course settings, defaults of the front matter (and so Jinja variables too)."""
    import jinja2

    refuse_outside_link(path, project_root)
    # A UTF-8 byte order mark (some Windows editors write one) would hide the front matter's first `---`.
    meta, body, body_line = split_front_matter(source.removeprefix("\ufeff"), path)
    if course is not None:
        meta = course.defaults_for(meta)
    files: list[Path] = [path]
    loader = _MarkingLoader(path, project_root, files)
    # a loader by its methods (get_source), not by its base class: jinja2 is imported lazily
    env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined,  # type: ignore[arg-type]
                             keep_trailing_newline=True, autoescape=False,
                             trim_blocks=True, lstrip_blocks=True)
    loader.main_source = add_markers(body, 0, body_line)
    loader.body_line = body_line
    variables = {**meta, "meta": meta, **(context or {})}
    try:
        text = env.get_template(loader.MAIN).render(variables)
    except jinja2.TemplateSyntaxError as exc:
        raise SourceError(f"Jinja syntax error: {exc.message}",
                        _jinja_location(exc.filename, exc.lineno, path, files, loader)) from None
    except jinja2.TemplateNotFound as exc:
        raise SourceError(exc.message or "" if exc.message != exc.name else f"included file not found: {exc.name}",
                        _traceback_location(exc, path, files, loader) or Location(path, body_line)) from None
    except jinja2.UndefinedError as exc:
        where, macro = _undefined_location(exc, path, files, loader)
        raise SourceError(f"Jinja: {exc.message}", where or Location(path, body_line), macro) from None
    except DeckError:
        raise
    except Exception as exc:  # an exception raised inside a Jinja expression
        raise SourceError(f"Jinja: {type(exc).__name__}: {exc}",
                        _traceback_location(exc, path, files, loader) or Location(path, body_line)) from None
    clean, lines = strip_markers(text, files)
    return Rendered(meta, clean, lines, body_line, files)


def refuse_outside_link(path: Path, project_root: Path) -> None:
    """A deck source in the project that is a link (or inside a linked folder) leading out of it is
    refused, as includes and images that lead out are: only files of the project reach a deck."""
    root = project_root.resolve()
    if path.absolute().is_relative_to(project_root.absolute()) and not path.resolve().is_relative_to(root):
        raise SourceError("the deck source is a link to a file outside the project: deck builds only files "
                          "inside it (copy the file into the project)", Location(path, 1))


def _jinja_location(filename, lineno, path, files, loader) -> Location:
    """Jinja counts lines of the template text; the main template starts after the front matter."""
    real = loader.real_paths.get(filename, path) if filename else path
    offset = loader.body_line - 1 if real == path else 0
    return Location(real, (lineno or 1) + offset)


def _traceback_location(exc, path, files, loader) -> Location | None:
    import traceback

    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename in loader.real_paths:
            found = _jinja_location(frame.filename, frame.lineno, path, files, loader)
    return found


def _undefined_location(exc, path, files, loader) -> tuple[Location | None, str]:
    """Where an undefined name was written, and, when that is not where Jinja failed (a typo in an
    argument passed to a macro fails inside the macro), the macro's line as context."""
    import re
    import traceback

    frames = [_jinja_location(f.filename, f.lineno, path, files, loader)
              for f in traceback.extract_tb(exc.__traceback__) if f.filename in loader.real_paths]
    if not frames:
        return None, ""
    innermost = frames[-1]
    m = re.search(r"'([^']+)' is undefined", exc.message or "")
    if m:
        word = re.compile(rf"(?<![\w.]){re.escape(m.group(1))}(?!\w)")
        for where in reversed(frames):
            if word.search(where.source_line() or ""):
                if where == innermost:
                    break
                return where, f"    used in {innermost}\n    {innermost.line} | {innermost.source_line() or ''}"
    return innermost, ""


class _MarkingLoader:
    """A Jinja loader that serves the main source and project files, each with line markers."""

    MAIN = "<main>"

    def __init__(self, path: Path, project_root: Path, files: list[Path]):
        import jinja2

        self._base = jinja2.BaseLoader
        self.path = path
        self.root = project_root.resolve()
        self.files = files
        self.main_source = ""
        self.body_line = 1
        self.real_paths: dict[str, Path] = {str(path): path}

    # Jinja only needs get_source / load; subclassing at runtime keeps jinja2 import lazy.
    def get_source(self, environment, template):
        if template == self.MAIN:
            return self.main_source, str(self.path), lambda: True
        candidate = self._resolve(template)
        import jinja2

        try:  # a regular file only (a FIFO would block the build); without a byte order mark, if any
            text = read_text(candidate)
        except OSError as exc:
            raise jinja2.TemplateNotFound(template, f"included file {template} cannot be read: "
                                                    f"{exc.strerror or exc}") from None
        except NotText as exc:
            raise jinja2.TemplateNotFound(template, f"included file {template} is {exc}") from None
        if candidate not in self.files:
            self.files.append(candidate)
        self.real_paths[str(candidate)] = candidate
        return add_markers(text, self.files.index(candidate)), str(candidate), lambda: True

    def _resolve(self, name: str) -> Path:
        """A file relative to the deck's folder (`../snippets/` from a chapter's folder too), else to the
        project root; wherever the path leads (`..`, a symlink), it must end inside the project."""
        import jinja2

        outside = jinja2.TemplateNotFound(f"{name} (only files inside the project can be included)")
        if name.startswith(("/", "\\")) or "://" in name or Path(name).is_absolute():
            raise outside
        for base in (self.path.parent, self.root):
            candidate = (base / name).resolve()
            if candidate.exists():  # a folder or a FIFO too: refused when read, not said missing
                if not candidate.is_relative_to(self.root):
                    raise outside
                return candidate
        raise jinja2.TemplateNotFound(name)

    def load(self, environment, name, globals=None):
        return self._base.load(self, environment, name, globals)
