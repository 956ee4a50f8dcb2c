"""The YAML front matter of a deck: read it, and check its keys against the option table."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..errors import Location, SourceError
from ..options import FRONT_BY_NAME

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
        raise SourceError(f"invalid value in the front matter: {exc}", Location(path, 2)) from None
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


def validate_front_matter(meta: dict, path: Path) -> dict:
    """Known keys checked against the option table (other keys are Jinja variables); `lang` set."""
    where = Location(path, 2)
    for key, option in FRONT_BY_NAME.items():
        value = meta.get(key)
        if value is None:
            continue
        if option.kind is str and (isinstance(value, (int, float)) and not isinstance(value, bool) or key == "date"):
            value = meta[key] = str(value)  # `date: 2024-10-25` is a YAML date; `place: 42` a number
        option.check(value, where, f"front matter: {key}")
    meta["lang"] = meta.get("lang", meta.get("language")) or FRONT_BY_NAME["lang"].default
    return meta
