"""The YAML front matter of a deck: read it, and check its keys against the option table."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..errors import Location, SourceError
from ..options import FRONT_BY_NAME

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)


def split_front_matter(source: str, path: Path) -> tuple[dict, str, int]:
    """Return (front matter dict, body, 1-based line of the body's first line)."""
    match = FRONT_MATTER.match(source)
    if not match:
        return {}, source, 1
    try:
        meta = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + (mark.line if mark else 0)
        raise SourceError(f"invalid YAML front matter: {getattr(exc, 'problem', exc)}",
                        Location(path, line)) from None
    except (ValueError, TypeError) as exc:  # e.g. a date that does not exist: 2024-13-45
        raise SourceError(f"invalid value in the front matter: {exc}", Location(path, 2)) from None
    if not isinstance(meta, dict):
        raise SourceError("front matter must be a mapping of keys to values", Location(path, 2))
    return meta, source[match.end():], match.group(0).count("\n") + 1

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
