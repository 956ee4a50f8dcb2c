"""The YAML front matter of a deck: read it, and check its keys against the option table."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import Location, SourceError
from ..options import FRONT_BY_NAME
from ..shared.files import NotText, read_text

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)


# Front matter is a handful of keys. YAML aliases can make a few lines stand for billions of values
# (a "billion laughs"), which the cache key and Jinja would expand: the size is checked before that.
MAX_FRONT_MATTER_CHARS = 64 * 1024
MAX_FRONT_MATTER_VALUES = 10_000


def split_front_matter(source: str, path: Path) -> tuple[dict, str, int]:
    """Return (front matter dict, body, 1-based line of the body's first line)."""
    match = FRONT_MATTER.match(source)
    if not match:
        return {}, source, 1
    text = match.group(1) or ""
    if len(text) > MAX_FRONT_MATTER_CHARS:
        raise SourceError(f"the front matter is too long ({len(text):,} characters; at most "
                          f"{MAX_FRONT_MATTER_CHARS:,}): keep data in files the cells read", Location(path, 2))
    try:
        meta = _load_bounded(text, path) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + (mark.line if mark else 0)
        raise SourceError(f"invalid YAML front matter: {getattr(exc, 'problem', exc)}",
                        Location(path, line)) from None
    except RecursionError:
        raise SourceError("the front matter is nested too deeply", Location(path, 2)) from None
    except (ValueError, TypeError) as exc:  # e.g. a date that does not exist: 2024-13-45
        key, line = _failing_key(text)
        raise SourceError(f"invalid value in the front matter{f' ({key})' if key else ''}: {exc}",
                          Location(path, 2 + line)) from None
    if not isinstance(meta, dict):
        raise SourceError("front matter must be a mapping of keys to values", Location(path, 2))
    return meta, source[match.end():], match.group(0).count("\n") + 1

def _load_bounded(text: str, path: Path):
    """yaml.safe_load, refusing a document whose aliases expand to more than MAX_FRONT_MATTER_VALUES
    values, or that contains itself (neither can be written as a cache key or used by Jinja)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {}, set())
        if size is None:
            raise SourceError("the front matter contains itself (a YAML alias inside its own anchor)", Location(path, 2))
        if size > MAX_FRONT_MATTER_VALUES:
            raise SourceError(f"the front matter expands to more than {MAX_FRONT_MATTER_VALUES:,} values "
                              "(YAML aliases repeating aliases)", Location(path, 2))
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _failing_key(text: str) -> tuple[str | None, int]:
    """The top-level key whose value YAML cannot construct (a date that does not exist), and the
    0-based line of that value in `text`; (None, 0) when it cannot be told."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None, 0
    for key, value in node.value if isinstance(node, yaml.MappingNode) else ():
        loader = yaml.SafeLoader("")
        try:
            loader.construct_object(value, deep=True)
        except (ValueError, TypeError, yaml.YAMLError):
            return str(key.value), value.start_mark.line
        finally:
            loader.dispose()
    return None, 0


def _expanded_size(node, sizes: dict[int, int], open_nodes: set[int]) -> int | None:
    """How many values `node` stands for once every alias is expanded (each node measured once,
    capped past the limit); None if it contains itself."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_nodes:
        return None
    children = node.value if isinstance(node, yaml.SequenceNode) else \
        [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else []
    open_nodes.add(id(node))
    size = 1
    for child in children:
        inner = _expanded_size(child, sizes, open_nodes)
        if inner is None:
            return None
        size = min(size + inner, MAX_FRONT_MATTER_VALUES + 1)
    open_nodes.discard(id(node))
    sizes[id(node)] = size
    return size


def validate_front_matter(meta: dict, path: Path, where: dict[str, Location] | None = None) -> dict:
    """Known keys checked against the option table (other keys are Jinja variables); `lang` set.
    `where`: the location of each key (course settings come from their own file); else line 2."""
    for key, option in FRONT_BY_NAME.items():
        value = meta.get(key)
        if value is None:
            continue
        if option.kind is str and (isinstance(value, (int, float)) and not isinstance(value, bool) or key == "date"):
            value = meta[key] = str(value)  # `date: 2024-10-25` is a YAML date; `place: 42` a number
        option.check(value, (where or {}).get(key, Location(path, 2)), f"front matter: {key}")
    meta["lang"] = meta.get("lang", meta.get("language")) or FRONT_BY_NAME["lang"].default
    return meta


# --- course settings: front-matter defaults shared by every deck of a folder --------------------------
COURSE_FILE = "_course.yml"


@dataclass
class CourseSettings:
    """`_course.yml`: front-matter keys every deck of the course starts from (a deck overrides them)."""

    path: Path | None = None
    values: dict = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # key -> its 1-based line in the file

    def location(self, key: str) -> Location:
        return Location(self.path or Path("_course.yml"), self.lines.get(key, 1))

    def defaults_for(self, meta: dict) -> dict:
        """The deck's front matter over the course's: a key the deck writes wins; `execute:` merges
        option by option (the course's `timeout`, the deck's `meta`)."""
        merged = {**self.values, **meta}
        if isinstance(self.values.get("execute"), dict) and isinstance(meta.get("execute"), dict):
            merged["execute"] = {**self.values["execute"], **meta["execute"]}
        return merged


def find_course_file(deck: Path, project_root: Path) -> Path | None:
    """The nearest `_course.yml` from the deck's folder up to the project root (none outside it)."""
    root = project_root.resolve()
    folder = deck.resolve().parent
    while folder.is_relative_to(root):
        candidate = folder / COURSE_FILE
        if candidate.exists():  # a FIFO or folder of that name too: refused when read, never skipped
            if not candidate.resolve().is_relative_to(root):
                raise SourceError(f"{COURSE_FILE} leads outside the project", Location(candidate, 1))
            return candidate
        if folder == root:
            break
        folder = folder.parent
    return None


def read_course(deck: Path, project_root: Path) -> CourseSettings:
    """The course settings of a deck, validated with the front-matter option table, errors located
    in the course file (an empty CourseSettings when there is none)."""
    from ..options import execute_defaults

    path = find_course_file(deck, project_root)
    if path is None:
        return CourseSettings()
    try:
        text = read_text(path)  # never a FIFO waited on
    except OSError as exc:
        raise SourceError(f"cannot read the course settings: {exc.strerror or exc}", Location(path, 1)) from None
    except NotText as exc:
        raise SourceError(f"cannot read the course settings: {exc}", Location(path, exc.line)) from None
    if len(text) > MAX_FRONT_MATTER_CHARS:
        raise SourceError(f"the course settings are too long ({len(text):,} characters; at most "
                          f"{MAX_FRONT_MATTER_CHARS:,})", Location(path, 1))
    try:
        node = yaml.compose(text)
        values = (_load_bounded(text, path) or {}) if node is not None else {}
    except RecursionError:
        raise SourceError("the course settings are nested too deeply", Location(path, 1)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SourceError(f"invalid YAML in the course settings: {getattr(exc, 'problem', exc)}",
                          Location(path, 1 + (mark.line if mark else 0))) from None
    except (ValueError, TypeError) as exc:  # e.g. a date that does not exist
        key, line = _failing_key(text)
        raise SourceError(f"invalid value in the course settings{f' ({key})' if key else ''}: {exc}",
                          Location(path, 1 + line)) from None
    if not isinstance(values, dict):
        raise SourceError("the course settings must be a mapping of front-matter keys to values", Location(path, 1))
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value} if node is not None else {}
    course = CourseSettings(path, values, lines)
    validate_front_matter(dict(values), path, {key: course.location(key) for key in values})
    execute_defaults(values, course.location("execute"))
    return course


def key_lines(source: str, path: Path) -> dict[str, Location]:
    """Where each top-level key of a source's front matter is written (for located errors)."""
    match = FRONT_MATTER.match(source)
    if not match or not match.group(1):
        return {}
    try:
        node = yaml.compose(match.group(1))
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): Location(path, k.start_mark.line + 2) for k, _ in node.value}
