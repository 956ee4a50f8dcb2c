"""What the environment says about a build, read once, at the edge, and passed on as a value.

The command line (and the pytest plugin, or a test that makes `BuildOptions`) reads the environment
into one `Settings`; from there it travels with `BuildOptions` to every stage and child process
(forked children inherit it, the --watch worker receives it with each build). Code that cells call
(figures, the helpers) cannot be handed it as an argument: for them, the build in progress is
`current()`, set by the pipeline around the deck's execution and rendering.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

KEY_ENV = "DECK_CACHE_KEY"  # the cache's signing key, given (CI): read once, then gone from os.environ


@dataclass(frozen=True)
class Settings:
    offline: bool = False               # --offline or DECK_OFFLINE=1: never download (pretrained weights)
    refresh_weights: bool = False       # --refresh-weights or DECK_REFRESH_WEIGHTS=1: try a download now
    cache_dir: Path | None = None       # DECK_CACHE_DIR, else <project>/.deck_cache
    source_date_epoch: str = ""         # SOURCE_DATE_EPOCH: the PDF's date in reproducible builds
    display_base: Path | None = None    # the folder messages name paths from: where deck started
    # DECK_CACHE_KEY: the key cache entries are signed with (else the per-user key file, see
    # shared/store.py). Never printed (repr) and never in the environment cells see.
    cache_key: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **overrides) -> Settings:
        environ = os.environ if environ is None else environ
        cache = environ.get("DECK_CACHE_DIR", "").strip()
        flag = lambda name: environ.get(name, "").strip() not in ("", "0")  # noqa: E731
        read = cls(offline=flag("DECK_OFFLINE"), refresh_weights=flag("DECK_REFRESH_WEIGHTS"),
                   cache_dir=Path(cache).resolve() if cache else None,
                   source_date_epoch=environ.get("SOURCE_DATE_EPOCH", ""), display_base=Path.cwd(),
                   cache_key=_given_key(environ))
        return dataclasses.replace(read, **overrides)

    def for_project(self, project_root: Path) -> Settings:
        """The settings of a build of `project_root`: its cache folder decided."""
        return dataclasses.replace(self, cache_dir=self.cache_root(project_root))

    def cache_root(self, project_root: Path | None = None) -> Path:
        if self.cache_dir is not None:
            return self.cache_dir
        return Path(project_root if project_root is not None else Path.cwd()).resolve() / ".deck_cache"


_current: Settings | None = None
_taken_key: str | None = None  # $DECK_CACHE_KEY, once taken out of this process's environment


def _given_key(environ: Mapping[str, str]) -> bytes | None:
    """The key the environment gives. Read from os.environ, it leaves it (a cell printing
    `os.environ` cannot put it on a slide; children are handed it in their settings) and is
    remembered for this process's later reads."""
    global _taken_key
    if environ is os.environ:
        given = os.environ.pop(KEY_ENV, None)
        if given:
            _taken_key = given
        value = _taken_key
    else:
        value = environ.get(KEY_ENV) or None
    return value.encode("utf-8") if value else None


def current() -> Settings:
    """The settings of the build running in this process (read from the environment outside one)."""
    return _current if _current is not None else Settings.from_environment()


@contextlib.contextmanager
def building(settings: Settings) -> Iterator[Settings]:
    """`settings` are the current ones while a deck is executed and rendered."""
    global _current
    previous, _current = _current, settings
    try:
        yield settings
    finally:
        _current = previous
